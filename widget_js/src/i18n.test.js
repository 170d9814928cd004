import assert from "node:assert/strict";
import { test } from "node:test";
import { MESSAGES, pickLanguage, t } from "./i18n.js";

test("the page language picks French or English", () => {
  assert.equal(pickLanguage("fr"), "fr");
  assert.equal(pickLanguage("fr-CA"), "fr");
  assert.equal(pickLanguage("en-GB"), "en");
  assert.equal(pickLanguage("de"), "en");
  assert.equal(pickLanguage(""), "en");
});

test("both languages have every text", () => {
  assert.deepEqual(Object.keys(MESSAGES.fr).sort(), Object.keys(MESSAGES.en).sort());
  for (const lang of ["fr", "en"]) {
    for (const [key, text] of Object.entries(MESSAGES[lang])) assert.ok(text.trim(), `${lang}.${key}`);
  }
});

test("placeholders are filled", () => {
  assert.equal(t("en", "offers", { name: "Alice", offer: "15% off" }), "Alice offers you 15% off");
  assert.equal(t("fr", "offers", { name: "Alice", offer: "-15 %" }), "Alice vous offre -15 %");
});

test("without a known referrer the referee widget does not claim a friend offers anything", () => {
  assert.equal(t("en", "offerWithCode", { offer: "15% off" }), "With a friend's referral code, get 15% off");
  assert.equal(
    t("fr", "offerWithCode", { offer: "-15 %" }),
    "Avec le code de parrainage d'un ami, profitez de -15 %",
  );
});

test("a pending reward says until when, in both languages", () => {
  const vars = { n: 1, date: "18 décembre 2026", reward: "10 € de remise" };
  assert.equal(
    t("fr", "pendingOne", vars),
    "1 récompense en attente (10 € de remise) : validée le 18 décembre 2026 si la commande n'est pas retournée.",
  );
  assert.equal(
    t("en", "pendingOne", { ...vars, date: "December 18, 2026", reward: "€10 off" }),
    "1 reward pending (€10 off): validated on December 18, 2026 if the order is not returned.",
  );
});
