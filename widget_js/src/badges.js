// Badges and loyalty points: the referrer widget's badge block and the loyalty space.
// The server sends human texts (condition labels, what is missing) and the bar's percent;
// this module only lays them out.
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { day } from "./offer.js";

const SAFE_URL = /^https?:\/\//i;

/** The badge's thumbnail, loaded lazily; a disc of its colour when it has none. */
export function badgeImage(lang, badge) {
  if (SAFE_URL.test(badge.image_url || "")) {
    const alt = t(lang, "badgeAlt", { name: badge.name });
    return h("img", { class: "bi", src: badge.image_url, alt, loading: "lazy", width: 48, height: 48 });
  }
  const disc = h("span", { class: "bi", "aria-hidden": "true" });
  disc.style.background = badge.colour || ""; // CSSOM drops anything that is not a colour
  return disc;
}

/** A bar towards `badge` and the label of each condition ("3 / 5 friends converted"). */
export function progress(lang, badge) {
  return [
    h("progress", { max: 100, value: badge.percent || 0, "aria-label": t(lang, "progressTo", { name: badge.name }) }),
    h(
      "ul",
      { class: "cd" },
      (badge.conditions || []).map((c) =>
        h("li", { class: c.met ? "met" : "" }, c.label, c.met ? h("span", { class: "sr" }, ` (${t(lang, "done")})`) : null),
      ),
    ),
  ];
}

/** The referrer widget's block: the badge held, then the way to the next one. */
export function badgeSummary(lang, data) {
  const { current_badge: current, next_badge: next } = data;
  if (!current && !next) return null;
  return h(
    "div",
    { class: "bd", role: "group", "aria-label": t(lang, "badgesTitle") },
    current
      ? h("p", { class: "bh" }, badgeImage(lang, current), h("span", {}, t(lang, "yourBadge"), " ", h("strong", {}, current.name)))
      : null,
    next ? [h("p", {}, t(lang, "nextBadge", { name: next.name })), progress(lang, next)] : null,
  );
}

function number(lang, n, sign = false) {
  return new Intl.NumberFormat(lang, sign ? { signDisplay: "exceptZero" } : {}).format(n);
}

function ledger(lang, entries) {
  if (!entries.length) return h("p", { class: "muted" }, t(lang, "noEntries"));
  const th = (key) => h("th", { scope: "col" }, t(lang, key));
  return h(
    "table",
    {},
    h("caption", {}, t(lang, "history")),
    h("thead", {}, h("tr", {}, th("date"), th("action"), th("pointsCol"))),
    h(
      "tbody",
      {},
      entries.map((e) =>
        h(
          "tr",
          {},
          h("td", {}, day(lang, e.occurred_at, { dateStyle: "short" })),
          h("td", {}, e.label),
          h("td", { class: e.points < 0 ? "neg" : "" }, number(lang, e.points, true)),
        ),
      ),
    ),
  );
}

function badgeItem(lang, badge) {
  const status = badge.held
    ? t(lang, "earnedOn", { date: day(lang, badge.awarded_at) })
    : [t(lang, "locked"), badge.missing ? ` · ${badge.missing}` : ""].join("");
  return h(
    "li",
    { class: badge.held ? "" : "off" },
    badgeImage(lang, badge),
    h("span", {}, h("strong", {}, badge.name), h("br"), h("span", { class: "muted" }, status)),
  );
}

/** The loyalty space: the balance, the ledger's last lines, every badge earned or locked. */
export function loyaltyPanel(lang, data) {
  const badges = data.badges || [];
  return [
    h("p", { class: "pts" }, t(lang, "balance", { n: number(lang, data.points || 0) })),
    ledger(lang, data.entries || []),
    badges.length ? h("h3", {}, t(lang, "badgesTitle")) : null,
    badges.length ? h("ul", { class: "bl" }, badges.map((b) => badgeItem(lang, b))) : null,
  ];
}
