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
