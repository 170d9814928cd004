import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { gzipSync } from "node:zlib";

const BUILT = new URL("../../core/static/parrain/widget.js", import.meta.url);

test("the built widget stays within 10 KB minified + gzip", () => {
  const size = gzipSync(readFileSync(BUILT), { level: 9 }).length;
  assert.ok(size <= 10 * 1024, `widget.js is ${size} bytes min+gzip`);
});
