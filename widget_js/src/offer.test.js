import assert from "node:assert/strict";
import { afterEach, before, beforeEach, mock, test } from "node:test";
import { Window } from "happy-dom";
import { contestList } from "./contests.js";
import { h } from "./dom.js";
import { boostable, locale, timeLeft } from "./offer.js";

const START = Date.parse("2026-12-04T10:00:00Z");
let clock = START;
const now = () => clock;

before(() => {
  globalThis.document = new Window().document;
});

beforeEach(() => {
  clock = START;
  mock.timers.enable({ apis: ["setInterval"] });
  document.body.replaceChildren();
});

afterEach(() => mock.timers.reset());

function advance(seconds) {
  for (let i = 0; i < seconds; i++) {
    clock += 1000;
    mock.timers.tick(1000);
  }
}

const boost = (seconds) => ({
  label: "Double reward until Sunday",
  ends_at: new Date(START + seconds * 1000).toISOString(),
  referrer_reward: "20 EUR off",
  welcome_offer: "25% off",
});

function mountOffer(running) {
  const block = boostable(
    "en",
    running,
    h("p", {}, "Earn 20 EUR off"),
    () => h("p", { class: "normal" }, "Earn 10 EUR off"),
    now,
  );
  document.body.append(block);
}

test("the time left reads as the two largest units in the reader's language", () => {
  assert.equal(timeLeft("en", 2 * 86400 + 3 * 3600 + 59), "2 days 3 hours");
  assert.equal(timeLeft("en", 3600 + 5), "1 hour 0 minutes");
  assert.equal(timeLeft("en", 65), "1 minute 5 seconds");
  assert.equal(timeLeft("en", 9), "9 seconds");
  assert.equal(timeLeft("fr", 2 * 86400 + 3600).replace(/\s/g, " "), "2 jours 1 heure");
});

test("the end date follows the reader's region when it speaks the page's language", () => {
  assert.equal(locale("en", "en-GB"), "en-GB");
  assert.equal(locale("fr", "en-GB"), "fr");
});

test("a running boost shows its label, its end and a countdown that ticks", () => {
  mountOffer(boost(90));
  const text = () => document.body.textContent;
  assert.match(text(), /Double reward until Sunday/);
  assert.match(text(), /Earn 20 EUR off/);
  assert.match(text(), /Until Friday, December 4, 2026/);
  const timer = document.querySelector("[role=timer]");
  assert.equal(timer.textContent, "1 minute 30 seconds left");
  advance(31);
  assert.equal(timer.textContent, "59 seconds left");
});

test("at the boost's end the normal offer comes back by itself", () => {
  mountOffer(boost(3));
  advance(2);
  assert.match(document.body.textContent, /Earn 20 EUR off/);
  advance(1);
  assert.equal(document.body.textContent, "Earn 10 EUR off");
  assert.equal(document.querySelector("[role=timer]"), null);
});

test("without a boost, or with one already over, only the normal offer shows", () => {
  mountOffer(null);
  assert.equal(document.body.textContent, "Earn 10 EUR off");
  document.body.replaceChildren();
  mountOffer(boost(-1)); // a configuration cached a few seconds past the end
  assert.equal(document.body.textContent, "Earn 10 EUR off");
});

const contest = {
  id: "abc123",
  name: "Christmas draw",
  status: "open",
  tickets: 2,
  cap: 5,
  opt_in_required: true,
  opted_in: false,
  entries_start: "2026-12-01T12:00:00Z",
  entries_end: "2026-12-24T12:00:00Z",
  draw_at: "2026-12-26T12:00:00Z",
  url: "https://shop.example/contest/abc123/",
};

test("a contest shows the tickets with the cap, the period, the draw and its page", () => {
  document.body.append(contestList("en", [{ ...contest, opt_in_required: false, opted_in: true }]));
  const text = document.body.textContent;
  assert.match(text, /Prize draws/);
  assert.match(text, /Christmas draw/);
  assert.match(text, /Your tickets: 2 \(at most 5\)/);
  assert.match(text, /Entries from December 1, 2026 to December 24, 2026 · draw on December 26, 2026/);
  assert.equal(document.querySelector("a").href, contest.url);
  assert.equal(document.querySelector("button"), null);
  assert.doesNotMatch(text, /null|undefined/);
});

test("a contest asking for an opt-in has a button that records it", async () => {
  const calls = [];
  const optIn = async (c) => {
    calls.push(c.id);
    return { ...c, opted_in: true };
  };
  document.body.append(contestList("fr", [contest], optIn));
  assert.match(document.body.textContent, /Vos tickets : 2 \(maximum 5\) Ils comptent/);
  document.querySelector("button").click();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(calls, ["abc123"]);
  assert.equal(document.querySelector("button"), null);
  assert.doesNotMatch(document.body.textContent, /Ils comptent/);
});

test("no contests, no block; a drawn one links to its winners", () => {
  assert.equal(contestList("en", []), null);
  document.body.append(contestList("en", [{ ...contest, status: "drawn", cap: 0 }]));
  assert.match(document.body.textContent, /Your tickets: 2Drawn on December 26, 2026/);
  assert.equal(document.querySelector("a").textContent, "See the winners");
});

test("times are written in the program's time zone, not the reader's", async () => {
  const { day, useZone, when } = await import("./offer.js");
  useZone("Pacific/Auckland");
  assert.match(day("en", "2026-12-31T12:00:00Z"), /January 1, 2027/);
  useZone("Europe/Paris");
  assert.match(when("fr", "2026-12-09T23:00:00Z", { timeStyle: "short" }), /00:00/);
  useZone("");
});
