import assert from "node:assert/strict";
import { after, before, beforeEach, mock, test } from "node:test";
import { Window } from "happy-dom";

// The referee widget drawn in a page (happy-dom), the public API played by a fake fetch.
const ENDS = new Date(Date.now() + 3 * 86400 * 1000).toISOString();
const REFERRER_BOOST = {
  label: "Double reward: €20 for each friend who becomes a customer",
  ends_at: ENDS,
  referrer_reward: "€20 off",
  welcome_offer: "€10 off",
  welcome_label: "",
};
const WELCOME_BOOST = { ...REFERRER_BOOST, welcome_offer: "€25 off", welcome_label: "Boosted welcome offer" };
const NAMES = ["window", "document", "HTMLElement", "customElements", "location", "navigator"];
let window;
let forgetConfigs;
let answers;

function config(boost) {
  return {
    program: "Maison Lumière",
    language: "en",
    referrer_reward: boost.referrer_reward,
    welcome_offer: boost.welcome_offer,
    boost,
    normal_referrer_reward: "€10 off",
    normal_welcome_offer: "€10 off",
    channels: [],
    consent_text: "I agree to be recontacted.",
    rules_url: "",
    legal_url: "",
    brand_colour: "",
    privacy_mode: false,
    anonymous_invitations: false,
    time_zone: "Europe/Paris",
  };
}

before(async () => {
  mock.timers.enable({ apis: ["setInterval"] }); // the boost's countdown, never left running
  window = new Window({ url: "https://shop.example/landing/" });
  for (const name of NAMES) {
    Object.defineProperty(globalThis, name, { value: window[name], configurable: true, writable: true });
  }
  globalThis.fetch = async (url) => {
    const path = new URL(url).pathname.split("/pk_test")[1];
    return { ok: true, status: 200, headers: { get: () => null }, json: async () => answers[path] };
  };
  const { ParrainWidget } = await import("./element.js");
  ({ forgetConfigs } = await import("./api.js"));
  customElements.define("parrain-widget", ParrainWidget);
});

after(() => {
  mock.timers.reset();
  window.happyDOM.abort();
});

beforeEach(() => {
  forgetConfigs();
  document.body.replaceChildren();
});

async function referee(code = "") {
  const widget = document.createElement("parrain-widget");
  widget.setAttribute("kind", "referee");
  widget.setAttribute("key", "pk_test");
  widget.setAttribute("api", "https://api.example");
  if (code) widget.setAttribute("code", code);
  document.documentElement.lang = "en";
  document.body.append(widget);
  for (let i = 0; i < 20 && !widget.shadowRoot.querySelector("form"); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return widget.shadowRoot.querySelector("section").textContent;
}

test("a friend never reads the referrer's boost, with or without a code", async () => {
  answers = {
    "/config": config(REFERRER_BOOST),
    "/codes/ALICE7": { code: "ALICE7", first_name: "Alice", welcome_offer: "€10 off", boost: null },
  };
  for (const code of ["", "ALICE7"]) {
    forgetConfigs();
    const text = await referee(code);
    assert.match(text, /€10 off/);
    assert.doesNotMatch(text, /Double reward|€20/, code);
    assert.doesNotMatch(text, /left/, code); // no countdown either
  }
});

test("a boost of the welcome offer shows under the friend's own label", async () => {
  answers = {
    "/config": config(WELCOME_BOOST),
    "/codes/ALICE7": {
      code: "ALICE7",
      first_name: "Alice",
      welcome_offer: "€25 off",
      boost: WELCOME_BOOST,
      normal_welcome_offer: "€10 off",
    },
  };
  for (const code of ["", "ALICE7"]) {
    forgetConfigs();
    const text = await referee(code);
    assert.match(text, /Boosted welcome offer/);
    assert.match(text, /€25 off/);
    assert.doesNotMatch(text, /Double reward|€20/, code);
  }
});
