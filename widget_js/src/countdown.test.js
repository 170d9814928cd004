// core/static/parrain/countdown.js: the countdown of {% parrain_offer %} on server-rendered
// pages (Oscar, Wagtail), run on the markup its template writes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Window } from "happy-dom";

const SCRIPT = readFileSync(new URL("../../core/static/parrain/countdown.js", import.meta.url), "utf8");
const START = Date.parse("2026-12-04T10:00:00Z");

function page(endsInSeconds) {
  const window = new Window();
  const { document } = window;
  document.documentElement.lang = "en";
  const ends = new Date(START + endsInSeconds * 1000).toISOString();
  document.body.innerHTML = `<div class="parrain-offer parrain-offer--boosted" data-parrain-ends-at="${ends}">
    <div class="parrain-offer__boosted"><p>20 EUR off</p><span data-parrain-countdown>ends soon</span></div>
    <div class="parrain-offer__normal" hidden><p>10 EUR off</p></div></div>`;
  let clock = START;
  let tick = () => {};
  const fakeDate = { now: () => clock, parse: Date.parse };
  const run = new Function("document", "navigator", "setInterval", "Date", SCRIPT);
  run(document, { language: "en" }, (fn) => (tick = fn), fakeDate);
  return {
    document,
    advance(seconds) {
      clock += seconds * 1000;
      tick();
    },
  };
}

test("the server-rendered countdown ticks, then shows the normal offer at the end", () => {
  const { document, advance } = page(3661);
  const counter = document.querySelector("[data-parrain-countdown]");
  const boosted = document.querySelector(".parrain-offer__boosted");
  const normal = document.querySelector(".parrain-offer__normal");
  assert.equal(counter.textContent, "1 hour 1 minute");
  advance(3600);
  assert.equal(counter.textContent, "1 minute 1 second");
  assert.equal(normal.hidden, true);
  advance(61);
  assert.equal(boosted.hidden, true);
  assert.equal(normal.hidden, false);
  assert.equal(document.querySelector(".parrain-offer--boosted"), null);
});
