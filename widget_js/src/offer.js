// Boosted offers: the offer in force with the boost's label, its end in the reader's locale
// and a live countdown; at the end the block turns into the normal offer, without a reload.
import { h } from "./dom.js";
import { t } from "./i18n.js";

const UNITS = [
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** The page's language with the reader's region when they match ("en" + "en-GB"). */
export function locale(lang, reader = globalThis.navigator?.language || "") {
  return reader.toLowerCase().startsWith(lang) ? reader : lang;
}

/** "1 day, 3 hours", "4 minutes, 12 seconds": the two largest units of `seconds`. */
export function timeLeft(lang, seconds) {
  const parts = [];
  for (const [unit, size] of UNITS) {
    const n = Math.floor(seconds / size);
    if (parts.length < 2 && (n > 0 || parts.length || size === 1)) {
      parts.push(new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "long" }).format(n));
    }
    seconds -= n * size;
  }
  return new Intl.ListFormat(lang, { style: "narrow", type: "unit" }).format(parts);
}

let programZone = "";

/** The program's time zone (its configuration): every time the widgets write is in it. */
export function useZone(zone) {
  programZone = zone || "";
}

function zoned(style) {
  return programZone ? { ...style, timeZone: programZone } : style;
}

/** A date and time in the reader's locale and the program's time zone. */
export function when(lang, iso, style = { dateStyle: "full", timeStyle: "short" }) {
  try {
    return new Date(iso).toLocaleString(locale(lang), zoned(style));
  } catch {
    return new Date(iso).toLocaleString(locale(lang), style); // an unknown zone
  }
}

/** A day ("18 décembre 2026") in the reader's locale and the program's time zone. */
export function day(lang, iso, style = { dateStyle: "long" }) {
  return when(lang, iso, style);
}

/**
 * `boosted` (nodes) under the boost's label, its end and a countdown while `boost` runs;
 * `normal()` once it has ended (or at once without a running boost).
 */
export function boostable(lang, boost, boosted, normal, now = Date.now) {
  const ends = boost ? Date.parse(boost.ends_at) : 0;
  if (!(ends > now())) return normal();
  const counter = h("span", { role: "timer" });
  const box = h(
    "div",
    { class: "bo" },
    h("p", { class: "lb" }, boost.label),
    boosted,
    h("p", { class: "muted" }, t(lang, "until", { date: when(lang, boost.ends_at) }), " · ", counter),
  );
  let seen = false;
  const tick = () => {
    const left = Math.ceil((ends - now()) / 1000);
    if (box.isConnected) seen = true;
    else if (seen) return clearInterval(timer); // the widget drew something else
    if (left > 0) counter.textContent = t(lang, "endsIn", { time: timeLeft(lang, left) });
    else {
      clearInterval(timer);
      box.replaceWith(normal() || "");
    }
  };
  const timer = setInterval(tick, 1000);
  tick();
  return box;
}
