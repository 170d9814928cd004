// Prize draws in the referrer widget: the person's tickets in each contest, its period and
// draw date, their id in the published entries file, an opt-in button when the contest asks for one, and a link to its public page
// (rules, commitment, winners).
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { when } from "./offer.js";

const SAFE_URL = /^https?:\/\//i;
const day = (lang, iso) => when(lang, iso, { dateStyle: "long" });

/** One contest; `optIn(contest, button)` resolves to its new standing (nothing on failure). */
export function contestItem(lang, contest, optIn) {
  const tickets = t(lang, contest.cap ? "ticketsCap" : "tickets", contest);
  const drawn = contest.status === "drawn";
  const waiting = !drawn && contest.opt_in_required && !contest.opted_in;
  const button = waiting ? h("button", { type: "button", class: "s" }, t(lang, "optIn")) : null;
  if (button)
    button.onclick = async () => {
      const standing = await optIn(contest, button);
      if (standing) item.replaceWith(contestItem(lang, standing, optIn));
    };
  const item = h(
    "li",
    {},
    h("strong", {}, contest.name),
    h("p", {}, tickets, waiting ? ` ${t(lang, "optInNote")}` : ""),
    h(
      "p",
      { class: "muted" },
      drawn
        ? t(lang, "drawnOn", { date: day(lang, contest.draw_at) })
        : t(lang, "period", {
            start: day(lang, contest.entries_start),
            end: day(lang, contest.entries_end),
            draw: day(lang, contest.draw_at),
          }),
    ),
    contest.entrant ? h("p", { class: "muted" }, t(lang, "entrant", contest)) : null,
    button,
    SAFE_URL.test(contest.url || "")
      ? h("a", { href: contest.url, target: "_blank", rel: "noopener" }, t(lang, drawn ? "results" : "contestPage"))
      : null,
  );
  return item;
}

/** The contests block of the referrer widget, or null without any. */
export function contestList(lang, contests, optIn) {
  if (!contests?.length) return null;
  return h(
    "div",
    { class: "ct", role: "group", "aria-label": t(lang, "contests") },
    h("h3", {}, t(lang, "contests")),
    h(
      "ul",
      {},
      contests.map((c) => contestItem(lang, c, optIn)),
    ),
  );
}
