// Sign a Parrain identity token in Node.js (no dependencies). Copy signIdentity() into your
// server; run `node sign.js vectors.json` to check it against the published test vectors.
"use strict";
const crypto = require("node:crypto");

function b64url(buffer) {
  return Buffer.from(buffer).toString("base64url"); // base64url, no padding
}

function signIdentity({ secret, publicKey, email, firstName = "", externalId = "", ttlSeconds = 43200, now }) {
  const issuedAt = Math.floor(now ?? Date.now() / 1000);
  const claims = {
    p: publicKey,
    e: email.trim().toLowerCase(),
    n: firstName,
    x: externalId,
    exp: issuedAt + ttlSeconds,
  };
  const payload = b64url(JSON.stringify(claims)); // compact JSON, UTF-8
  const key = crypto.createHmac("sha256", secret).update("parrain.identity.v1").digest();
  const signature = b64url(crypto.createHmac("sha256", key).update(payload).digest());
  return `${payload}.${signature}`;
}

module.exports = { signIdentity };

if (require.main === module) {
  const { vectors } = JSON.parse(require("node:fs").readFileSync(process.argv[2] || "vectors.json", "utf8"));
  let failed = 0;
  for (const v of vectors) {
    const token = signIdentity({
      secret: v.secret,
      publicKey: v.public_key,
      email: v.email,
      firstName: v.first_name,
      externalId: v.external_id,
      ttlSeconds: v.ttl_seconds,
      now: v.issued_at,
    });
    const ok = token === v.token;
    failed += ok ? 0 : 1;
    console.log(`${ok ? "ok  " : "FAIL"} ${v.email.trim()}`);
  }
  process.exit(failed ? 1 : 0);
}
