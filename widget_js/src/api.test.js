import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { createClient, forgetConfigs, WidgetError } from "./api.js";

function fakeFetch(responses) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    const next = typeof responses === "function" ? responses(url, init) : responses.shift();
    if (next instanceof Error) throw next;
    const { status = 200, body = {}, headers = {} } = next;
    return {
      ok: status < 400,
      status,
      headers: { get: (name) => headers[name] ?? null },
      json: async () => body,
    };
  };
  return { fetch, calls };
}

beforeEach(() => forgetConfigs());

test("widgets of one page share one configuration request", async () => {
  const { fetch, calls } = fakeFetch(() => ({ body: { program: "Shop" } }));
  const options = { api: "https://shop.example/", key: "pk_abc", lang: "fr", fetch };
  const configs = await Promise.all([1, 2, 3].map(() => createClient(options).config()));
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, "https://shop.example/api/v1/public/pk_abc/config?lang=fr");
  assert.deepEqual(configs[2], { program: "Shop" });
});

test("a failed configuration request is tried again by the next widget", async () => {
  const { fetch, calls } = fakeFetch([new TypeError("offline"), { body: { program: "Shop" } }]);
  const client = createClient({ api: "", key: "pk_abc", lang: "en", fetch });
  await assert.rejects(client.config(), (error) => error.status === 0);
  assert.deepEqual(await client.config(), { program: "Shop" });
  assert.equal(calls.length, 2);
});

test("a problem answer becomes a WidgetError with status, fields and Retry-After", async () => {
  const problem = {
    type: "urn:parrain:problem:rate-limited",
    detail: "Too many attempts",
    errors: [{ field: "email", message: "bad" }],
  };
  const { fetch } = fakeFetch([{ status: 429, body: problem, headers: { "Retry-After": "120" } }]);
  const client = createClient({ api: "", key: "pk_abc", lang: "en", fetch });
  const error = await client.enrol("a@example.com").catch((e) => e);
  assert.ok(error instanceof WidgetError);
  assert.equal(error.status, 429);
  assert.equal(error.type, "rate-limited");
  assert.deepEqual(error.fields, ["email"]);
  assert.equal(error.retryAfter, 120);
});

test("writes send JSON without cookies, in the page language", async () => {
  const { fetch, calls } = fakeFetch([{ body: { code: "ABCD1234" } }]);
  const client = createClient({ api: "", key: "pk_abc", lang: "fr", fetch });
  await client.claim({ code: "ABCD1234", email: "b@example.com", consent: false });
  const { url, init } = calls[0];
  assert.equal(url, "/api/v1/public/pk_abc/claims?lang=fr");
  assert.equal(init.method, "POST");
  assert.equal(init.credentials, "omit");
  assert.equal(init.headers["Content-Type"], "application/json");
  assert.equal(init.headers["Accept-Language"], "fr");
  assert.deepEqual(JSON.parse(init.body), { code: "ABCD1234", email: "b@example.com", consent: false });
});
