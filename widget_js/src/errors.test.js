import assert from "node:assert/strict";
import { test } from "node:test";
import { WidgetError } from "./api.js";
import { messageFor } from "./errors.js";
import { MESSAGES } from "./i18n.js";

const problem = (type, detail = "", fields = []) => ({
  type: `urn:parrain:problem:${type}`,
  detail,
  errors: fields.map((field) => ({ field, message: "x" })),
});

test("every failure gets a non-empty message in both languages", () => {
  const errors = [
    new WidgetError(0),
    new WidgetError(429, problem("rate-limited"), 30),
    new WidgetError(422, problem("invalid-input", "", ["email"])),
    new WidgetError(409, problem("refused")),
    new WidgetError(404, problem("not-found"), 0),
    new WidgetError(401, problem("identity-invalid")),
    new WidgetError(403, problem("origin-not-allowed")),
    new WidgetError(500, problem("internal")),
    new Error("anything else"),
    undefined,
  ];
  for (const lang of ["fr", "en"]) {
    for (const error of errors) {
      const text = messageFor(error, lang, "code");
      assert.ok(text && text.length > 10, `${lang}: ${error?.status}`);
    }
  }
});

test("network down, rate limit, bad email and unknown code have their own words", () => {
  assert.equal(messageFor(new WidgetError(0), "en"), MESSAGES.en.network);
  assert.equal(
    messageFor(new WidgetError(429, problem("rate-limited"), 150), "fr"),
    "Trop de tentatives. Réessayez dans 3 min.",
  );
  assert.equal(
    messageFor(new WidgetError(422, problem("invalid-input", "", ["email"])), "en"),
    MESSAGES.en.badEmail,
  );
  assert.equal(messageFor(new WidgetError(404, problem("not-found")), "fr", "code"), MESSAGES.fr.unknownCode);
});

test("a refusal shows the server's translated reason, or a generic one", () => {
  const refused = new WidgetError(409, problem("refused", "The welcome offer is for new customers."));
  assert.equal(messageFor(refused, "en"), "The welcome offer is for new customers.");
  assert.equal(messageFor(new WidgetError(409, problem("refused")), "en"), MESSAGES.en.notAvailable);
});
