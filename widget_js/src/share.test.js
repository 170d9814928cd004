import assert from "node:assert/strict";
import { test } from "node:test";
import { CLICK_COOKIE, cookieValue, readCode } from "./code.js";
import { channelLinks, splitEmails } from "./share.js";

const URL_ = "https://shop.example/r/ABCD1234";

test("only the enabled channels get a button, in the program's order", () => {
  const links = channelLinks(["linkedin", "email", "whatsapp", "qr", "bogus"], URL_, "Get 15% off:");
  assert.deepEqual(
    links.map((l) => l.channel),
    ["linkedin", "whatsapp"],
  );
  assert.equal(
    links[1].href,
    "https://wa.me/?text=Get%2015%25%20off%3A%20https%3A%2F%2Fshop.example%2Fr%2FABCD1234",
  );
});

test("every channel link carries the share link, encoded", () => {
  const all = ["whatsapp", "sms", "facebook", "messenger", "x", "linkedin"];
  for (const { href } of channelLinks(all, URL_, "a&b")) {
    assert.ok(href.includes(encodeURIComponent(URL_)), href);
    assert.ok(!href.includes("a&b"), href);
  }
});

test("friends' emails are split and deduplicated", () => {
  assert.deepEqual(splitEmails(" a@x.fr, b@x.fr;a@x.fr\nc@x.fr "), ["a@x.fr", "b@x.fr", "c@x.fr"]);
  assert.deepEqual(splitEmails(""), []);
});

test("the referee's code comes from the attribute, then the URL, then the cookie", () => {
  const cookie = "theme=dark; parrain_ref=COOKIE12";
  assert.equal(readCode({ attribute: "attr1234", search: "?parrain=QUERY123", cookie }), "ATTR1234");
  assert.equal(readCode({ search: "?x=1&parrain=query123", cookie }), "QUERY123");
  assert.equal(readCode({ search: "?x=1", cookie }), "COOKIE12");
  assert.equal(readCode({}), "");
});

test("anything that is not a code is ignored", () => {
  assert.equal(readCode({ search: "?parrain=%3Cscript%3E" }), "");
  assert.equal(readCode({ search: "?parrain=%E0%A4%A" }), "");
  assert.equal(readCode({ search: "?parrain=a'b", cookie: "parrain_ref=GOOD1234" }), "GOOD1234");
});

test("the share link's signed click time is read whole from its cookie", () => {
  const cookie = "parrain_ref=ABCD1234; parrain_ref_at=ABCD1234:1796378400:x-Y_z=; theme=dark";
  assert.equal(cookieValue(cookie, CLICK_COOKIE), "ABCD1234:1796378400:x-Y_z=");
  assert.equal(cookieValue("theme=dark", CLICK_COOKIE), "");
});
