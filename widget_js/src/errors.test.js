import assert from "node:assert/strict";
import { test } from "node:test";
import { WidgetError } from "./api.js";
import { developerHint, logForDeveloper, messageFor } from "./errors.js";
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

function withOnline(onLine, run) {
  const previous = Object.getOwnPropertyDescriptor(globalThis, "navigator");
  Object.defineProperty(globalThis, "navigator", { value: { onLine }, configurable: true });
  try {
    return run();
  } finally {
    if (previous) Object.defineProperty(globalThis, "navigator", previous);
    else delete globalThis.navigator;
  }
}

test("an unreachable server blames the visitor's network only when the browser is offline", () => {
  assert.equal(withOnline(false, () => messageFor(new WidgetError(0), "en")), MESSAGES.en.network);
  assert.equal(withOnline(true, () => messageFor(new WidgetError(0), "fr")), MESSAGES.fr.unreachable);
  assert.doesNotMatch(MESSAGES.fr.unreachable, /réseau/);
});

test("a refused origin tells the developer which origin to allow, in the page's language", () => {
  const refused = new WidgetError(403, problem("origin-not-allowed", "This site may not use it."));
  const where = { origin: "http://localhost:8101", api: "http://127.0.0.1:8000/api/v1/public/pk_x" };
  assert.equal(messageFor(refused, "en"), MESSAGES.en.notHere); // the visitor: no network blame
  assert.equal(
    developerHint(refused, "en", where),
    "Parrain: this page's origin (http://localhost:8101) is not allowed for this program. " +
      "Add it to the program's allowed widget origins (admin, the program's page).",
  );
  assert.match(developerHint(refused, "fr", where), /^Parrain : l'origine de cette page \(http:\/\/localhost:8101\) n'est pas autorisée pour ce programme/);
  assert.match(developerHint(new WidgetError(0), "en", where), /could not reach the referral API \(http:\/\/127\.0\.0\.1:8000/);
  assert.equal(developerHint(new WidgetError(429, problem("rate-limited")), "en", where), "");
  // two widgets on the page: one console line
  const lines = [];
  logForDeveloper(refused, "en", where, (line) => lines.push(line));
  logForDeveloper(refused, "en", where, (line) => lines.push(line));
  assert.equal(lines.length, 1);
});

test("network down, rate limit, bad email and unknown code have their own words", () => {
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
