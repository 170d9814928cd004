import assert from "node:assert/strict";
import { before, test } from "node:test";
import { Window } from "happy-dom";
import { badgeSummary, loyaltyPanel } from "./badges.js";

before(() => {
  globalThis.document = new Window().document;
});

function box(nodes) {
  const div = document.createElement("div");
  div.append(...[nodes].flat(Infinity).filter(Boolean));
  return div;
}

const silver = {
  id: 2,
  rank: 2,
  name: "Silver",
  description: "",
  image_url: "https://parrain.example/media/silver.png",
  colour: "#c0c0c0",
  held: false,
  awarded_at: null,
  match: "all",
  percent: 60,
  missing: "2 more friends converted",
  conditions: [
    { kind: "friends_converted", label: "3 / 5 friends converted", met: false },
    { kind: "invitations_sent", label: "10 / 10 invitations sent", met: true },
  ],
};
const bronze = {
  ...silver,
  id: 1,
  rank: 1,
  name: "Bronze",
  image_url: "",
  colour: "#cd7f32",
  held: true,
  awarded_at: "2024-03-05T10:00:00Z",
  percent: 100,
  missing: "",
};

test("the referrer block shows the badge held and a bar towards the next one", () => {
  const div = box(badgeSummary("en", { current_badge: bronze, next_badge: silver }));
  assert.match(div.textContent, /Your badge: Bronze/);
  assert.match(div.textContent, /Next badge: Silver/);
  const bar = div.querySelector("progress");
  assert.equal(bar.getAttribute("aria-label"), "Progress towards the Silver badge");
  assert.equal(Number(bar.value), 60);
  const items = [...div.querySelectorAll("li")].map((li) => li.textContent);
  assert.deepEqual(items, ["3 / 5 friends converted", "10 / 10 invitations sent (done)"]);
  // a badge without a picture gets a disc of its colour, hidden from screen readers
  assert.equal(div.querySelector(".bi").getAttribute("aria-hidden"), "true");
});

test("a referrer without badges in the program sees no badge block", () => {
  assert.equal(badgeSummary("en", { current_badge: null, next_badge: null }), null);
});

test("the loyalty space lists points, the ledger and every badge, locked ones apart", () => {
  const data = {
    points: 1250,
    entries: [
      { occurred_at: "2024-03-05T10:00:00Z", label: "Purchase", points: 120 },
      { occurred_at: "2024-03-06T10:00:00Z", label: "Reversal: Purchase", points: -20 },
    ],
    badges: [bronze, silver],
  };
  const div = box(loyaltyPanel("en", data));
  assert.equal(div.querySelector(".pts").textContent, "1,250 points");
  assert.equal(div.querySelector("caption").textContent, "Latest activity");
  const rows = [...div.querySelectorAll("tbody tr")].map((tr) =>
    [...tr.children].slice(1).map((td) => td.textContent),
  );
  assert.deepEqual(rows, [
    ["Purchase", "+120"],
    ["Reversal: Purchase", "-20"],
  ]);
  const [earned, locked] = div.querySelectorAll(".bl li");
  assert.equal(earned.className, "");
  assert.match(earned.textContent, /Bronze.*Earned on/);
  assert.equal(locked.className, "off");
  assert.match(locked.textContent, /Silver.*Locked · 2 more friends converted/);
  const img = locked.querySelector("img");
  assert.equal(img.getAttribute("loading"), "lazy");
  assert.equal(img.getAttribute("alt"), "Silver badge");
});

test("the loyalty space speaks French and says when there are no points yet", () => {
  const div = box(loyaltyPanel("fr", { points: 0, entries: [], badges: [silver] }));
  assert.match(div.textContent, /Pas encore de points\./);
  assert.match(div.textContent, /À débloquer/);
  assert.equal(div.querySelector("img").getAttribute("alt"), "Badge Silver");
});

test("an image URL that is not http(s) is never loaded", () => {
  const div = box(loyaltyPanel("en", { points: 0, entries: [], badges: [{ ...silver, image_url: "javascript:alert(1)" }] }));
  assert.equal(div.querySelector("img"), null);
});
