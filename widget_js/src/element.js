// <parrain-widget kind="referrer|referee|loyalty" key="pk_…" api="https://…">: the widgets.
import { createClient } from "./api.js";
import { badgeSummary, loyaltyPanel } from "./badges.js";
import { CLICK_COOKIE, cookieValue, readCode, safeDecode } from "./code.js";
import { contestList } from "./contests.js";
import { h } from "./dom.js";
import { logForDeveloper, messageFor } from "./errors.js";
import { pickLanguage, t } from "./i18n.js";
import { boostable, day, useZone } from "./offer.js";
import { channelLinks, splitEmails } from "./share.js";
import { CSS } from "./styles.js";

const COLOUR = /^#(?:[0-9a-f]{3}){1,2}$/i;
const SAFE_URL = /^https?:\/\//i;
let uid = 0;

export class ParrainWidget extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    const pageLang = this.closest("[lang]")?.getAttribute("lang") || document.documentElement.lang;
    this.language = pickLanguage(pageLang);
    this.client = createClient({
      api: this.getAttribute("api") || "",
      key: this.getAttribute("key") || "",
      lang: this.language,
    });
    this.content = h("div");
    this.alert = h("p", { class: "err", role: "alert" });
    this.live = h("p", { class: "ok", role: "status" });
    this.box = h("section", { class: "w", part: "box" }, this.content, this.alert, this.live);
    root.append(h("style", {}, CSS), this.box);
    this.start();
  }

  t(key, vars) {
    return t(this.language, key, vars);
  }

  id(name) {
    uid += 1;
    return `p${uid}${name}`;
  }

  show(...nodes) {
    this.content.replaceChildren(...nodes.filter(Boolean));
    this.alert.textContent = "";
  }

  say(text) {
    this.live.textContent = "";
    this.live.textContent = text;
  }

  fail(error, context = "") {
    this.live.textContent = "";
    this.alert.textContent = messageFor(error, this.language, context);
    logForDeveloper(error, this.language, { origin: location.origin, api: this.client.base });
  }

  async run(button, work, context = "") {
    button.disabled = true;
    this.alert.textContent = "";
    try {
      await work();
    } catch (error) {
      this.fail(error, context);
    } finally {
      button.disabled = false;
    }
  }

  async start() {
    this.show(h("p", { "aria-busy": "true" }, this.t("loading")));
    try {
      const config = await this.client.config();
      const colour = this.getAttribute("colour") || config.brand_colour;
      if (COLOUR.test(colour || "")) this.box.style.setProperty("--brand", colour);
      this.config = config;
      useZone(config.time_zone);
      const kind = this.getAttribute("kind");
      if (kind === "referee") await this.referee();
      else if (kind === "loyalty") await this.loyalty();
      else await this.referrer();
    } catch (error) {
      const retry = h("button", { type: "button", onclick: () => this.start() }, this.t("retry"));
      this.show(retry);
      this.fail(error);
    }
  }

  heading(text) {
    return h("h2", { tabIndex: -1 }, this.getAttribute("heading") || text);
  }

  focusHeading() {
    this.content.querySelector("h2")?.focus();
  }

  emailField(label, name = "email") {
    const id = this.id(name);
    const input = h("input", { type: "email", id, name, autocomplete: "email", required: true });
    return [input, h("label", { htmlFor: id }, label), input];
  }

  checkEmail(input) {
    const valid = input.value.trim() !== "" && input.validity.valid;
    input.setAttribute("aria-invalid", String(!valid));
    if (!valid) {
      this.alert.textContent = this.t("badEmail");
      input.focus();
    }
    return valid;
  }

  // The offer in force, boosted with its countdown while a boost runs (`data`: /me or a code
  // lookup, else the configuration), then the normal one. The friend's side (`welcome_offer`)
  // shows a boost only when it boosts their offer, under its own label: the shop's label
  // speaks of the referrer's reward.
  boosted(data, nowKey, normalKey, draw) {
    const { config } = this;
    let boost = data.boost === undefined ? config.boost : data.boost;
    const label = boost?.welcome_label;
    if (nowKey === "welcome_offer") boost = label ? { ...boost, label } : null;
    const now = data[nowKey] || config[nowKey];
    const normal = data[normalKey] || config[normalKey] || now;
    return boostable(this.language, boost, draw(now), () => draw(normal));
  }

  rewardLine(data = {}) {
    return this.boosted(data, "referrer_reward", "normal_referrer_reward", (reward) =>
      reward ? h("p", {}, this.t("reward", { reward })) : null,
    );
  }

  links() {
    const items = [
      ["rules", this.config.rules_url],
      ["legal", this.config.legal_url],
    ].filter(([, url]) => SAFE_URL.test(url || ""));
    if (!items.length) return null;
    return h(
      "p",
      { class: "links" },
      items.map(([key, href]) => h("a", { href, target: "_blank", rel: "noopener" }, this.t(key))),
    );
  }

  // Referrer widget

  async referrer() {
    const identity = this.getAttribute("identity");
    if (identity) {
      this.sharePanel(await this.client.me(identity), identity);
      return;
    }
    const [email, ...field] = this.emailField(this.t("yourEmail"));
    const button = h("button", { type: "submit" }, this.t("getLink"));
    const submit = (event) => {
      event.preventDefault();
      if (!this.checkEmail(email)) return;
      this.run(button, async () => {
        const address = email.value.trim();
        const enrolment = await this.client.enrol(address);
        if (enrolment.delivery === "email") {
          // an address someone already has: the link went to that mailbox, not to this screen
          this.show(this.heading(this.t("yourLink")), h("p", {}, this.t("linkByEmail", { email: address })));
        } else this.sharePanel({ ...enrolment, email: address }, "");
        this.focusHeading();
      });
    };
    this.show(
      this.heading(this.t("yourLink")),
      this.rewardLine(),
      h("form", { noValidate: true, onsubmit: submit }, field, button),
      this.links(),
    );
  }

  sharePanel(data, identity) {
    const url = data.share_url;
    const linkId = this.id("link");
    const link = h("input", { type: "text", id: linkId, readOnly: true, value: url });
    const copy = h(
      "button",
      { type: "button", onclick: () => this.copy(url, link, "copied") },
      this.t("copy"),
    );
    const channels = this.config.channels || [];
    const text = this.t("shareText", { offer: this.config.welcome_offer });
    this.show(
      this.heading(this.t("yourLink")),
      this.rewardLine(data),
      h("div", { class: "row" }, h("label", { htmlFor: linkId }, this.t("yourLink")), link, copy),
      h(
        "div",
        { class: "ch" },
        channelLinks(channels, url, text).map((c) =>
          h("a", { class: "b", href: c.href, target: "_blank", rel: "noopener noreferrer" }, c.label),
        ),
        this.webShare(url, text),
      ),
      channels.includes("qr") ? this.qr(data.code) : null,
      channels.includes("email") && (identity || this.config.anonymous_invitations)
        ? this.inviteForm(data, identity)
        : null,
      data.stats ? h("p", { class: "muted" }, this.t("stats", data.stats)) : null,
      this.pendingLine(data.pending),
      badgeSummary(this.language, data),
      contestList(this.language, data.contests, (contest, button) => this.optIn(contest, button, identity)),
      this.links(),
    );
  }

  // "1 reward pending: validated on 18 December if the order is not returned"
  pendingLine(pending) {
    if (!pending || !pending.length) return null;
    const dated = pending.filter((p) => p.validated_on);
    const n = pending.length;
    const key = !dated.length ? "pendingReview" : n === 1 ? "pendingOne" : "pendingMany";
    const date = dated.length ? day(this.language, dated[0].validated_on) : "";
    return h("p", { class: "pending" }, this.t(key, { n, date, reward: pending[0].reward }));
  }

  async optIn(contest, button, identity) {
    let standing;
    await this.run(button, async () => {
      standing = await this.client.optIn(contest.id, identity);
      this.say(this.t("optedIn"));
    });
    return standing;
  }

  webShare(url, text) {
    if (!navigator.share || !matchMedia("(pointer: coarse)").matches) return null;
    const share = () => navigator.share({ text, url }).catch(() => {});
    return h("button", { type: "button", class: "s", onclick: share }, this.t("share"));
  }

  qr(code) {
    const holder = h("div");
    const show = h("button", { type: "button", class: "s", "aria-expanded": "false" }, this.t("showQr"));
    show.onclick = () => {
      show.setAttribute("aria-expanded", "true");
      show.hidden = true;
      const src = this.client.qrUrl(code);
      holder.append(h("img", { src, alt: this.t("qrAlt"), width: 164, height: 164 }));
    };
    return h("div", {}, show, holder);
  }

  inviteForm(data, identity) {
    const id = this.id("friends");
    const friends = h("input", { type: "text", id, inputMode: "email", autocomplete: "off" });
    const messageId = this.id("message");
    const message = identity ? h("textarea", { id: messageId, maxLength: 500 }) : null;
    const button = h("button", { type: "submit" }, this.t("send"));
    const submit = (event) => {
      event.preventDefault();
      const emails = splitEmails(friends.value);
      if (!emails.length) {
        this.alert.textContent = this.t("badEmail");
        friends.focus();
        return;
      }
      const payload = identity
        ? { identity, emails, message: message.value.trim() }
        : { code: data.code, email: data.email, emails };
      this.run(button, async () => {
        const answer = await this.client.invite(payload);
        friends.value = "";
        this.say(this.t(answer.delivery === "held" ? "held" : "sent"));
      });
    };
    return h(
      "form",
      { noValidate: true, onsubmit: submit, "aria-label": this.t("inviteTitle") },
      h("label", { htmlFor: id }, this.t("friendEmails")),
      friends,
      message ? [h("label", { htmlFor: messageId }, this.t("message")), message] : null,
      button,
    );
  }

  async copy(text, field, said) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      field.select();
      document.execCommand("copy");
    }
    this.say(this.t(said));
  }

  // Loyalty space: needs a signed-in customer

  async loyalty() {
    const identity = this.getAttribute("identity");
    const title = this.heading(this.t("loyaltyTitle"));
    if (!identity) {
      this.show(title, h("p", {}, this.t("signIn")));
      return;
    }
    this.show(title, ...loyaltyPanel(this.language, await this.client.loyalty(identity)), this.links());
  }

  // Referee widget

  async referee() {
    const code = readCode({
      attribute: this.getAttribute("code") || "",
      search: location.search,
      cookie: document.cookie,
    });
    if (!code) {
      this.codeForm();
      return;
    }
    try {
      this.claimForm(code, await this.client.lookup(code));
    } catch (error) {
      this.codeForm(code);
      this.fail(error, "code");
    }
  }

  codeForm(value = "") {
    const id = this.id("code");
    const input = h("input", { type: "text", id, value, autocomplete: "off", required: true });
    const button = h("button", { type: "submit" }, this.t("checkCode"));
    const submit = (event) => {
      event.preventDefault();
      const code = input.value.trim();
      this.run(
        button,
        async () => {
          this.claimForm(code, await this.client.lookup(code));
          this.focusHeading();
        },
        "code",
      );
    };
    this.show(
      this.boosted({}, "welcome_offer", "normal_welcome_offer", (offer) =>
        this.heading(offer ? this.t("offerWithCode", { offer }) : this.t("haveCode")),
      ),
      h("form", { noValidate: true, onsubmit: submit }, h("label", { htmlFor: id }, this.t("haveCode")), input, button),
      this.links(),
    );
  }

  claimForm(code, info) {
    const [email, ...field] = this.emailField(this.t("yourEmail"));
    const consentId = this.id("consent");
    const consent = h("input", { type: "checkbox", id: consentId, name: "consent" });
    const button = h("button", { type: "submit" }, this.t("claim"));
    const name = info.first_name || this.t("aFriend");
    const submit = (event) => {
      event.preventDefault();
      if (!this.checkEmail(email)) return;
      const address = email.value.trim();
      this.run(button, async () => {
        const clicked = safeDecode(cookieValue(document.cookie, CLICK_COOKIE)).slice(0, 200);
        const payload = { code, email: address, consent: consent.checked };
        const result = await this.client.claim(clicked ? { ...payload, link_click: clicked } : payload);
        this.welcome(result, address);
        this.focusHeading();
      });
    };
    this.show(
      this.boosted(info, "welcome_offer", "normal_welcome_offer", (offer) =>
        this.heading(this.t("offers", { name, offer })),
      ),
      h(
        "form",
        { noValidate: true, onsubmit: submit },
        field,
        h("label", { class: "check", htmlFor: consentId }, consent, this.config.consent_text),
        button,
      ),
      this.links(),
    );
  }

  welcome(result, email) {
    if (result.delivery !== "screen" || !result.welcome) {
      this.show(this.heading(this.t("claim")), h("p", {}, this.t("byEmail", { email })));
      return;
    }
    const { code, offer, expires_at: expires } = result.welcome;
    const value = h("p", { class: "code" }, code);
    const copy = h("button", { type: "button", onclick: () => this.copyCode(code) }, this.t("copy"));
    const date = expires ? day(this.language, expires) : "";
    this.show(
      this.heading(this.t("welcomeCode")),
      h("p", {}, offer),
      h("div", { class: "row" }, value, copy),
      date ? h("p", { class: "muted" }, this.t("expires", { date })) : null,
      this.links(),
    );
  }

  async copyCode(code) {
    try {
      await navigator.clipboard.writeText(code);
    } catch {
      /* the code stays on screen, selectable */
    }
    this.say(this.t("codeCopied"));
  }
}
