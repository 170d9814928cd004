// A friendly, visible message for every failure: never a blank box.
import { t } from "./i18n.js";

export function messageFor(error, lang, context = "") {
  const status = error && typeof error.status === "number" ? error.status : -1;
  if (status === 0) return t(lang, globalThis.navigator?.onLine === false ? "network" : "unreachable");
  if (status === 429) {
    return t(lang, "tooMany", { n: Math.max(1, Math.ceil((error.retryAfter || 60) / 60)) });
  }
  if (status === 422 && error.fields.some((f) => f.startsWith("email"))) {
    return t(lang, "badEmail");
  }
  if (status === 409) return error.detail || t(lang, "notAvailable");
  if (status === 404 && context === "code") return t(lang, "unknownCode");
  if (status === 401 && error.type === "identity-invalid") return t(lang, "expired");
  if (status === 403 && error.type === "origin-not-allowed") return t(lang, "notHere");
  if ((status === 403 || status === 404) && error.detail) return error.detail;
  return t(lang, "generic");
}

const logged = new Set();

/** What the page's developer reads in the console: the fix, not the visitor's words. */
export function developerHint(error, lang, { origin, api }) {
  if (error?.type === "origin-not-allowed") return t(lang, "originLog", { origin });
  if (error?.status === 0) return t(lang, "unreachableLog", { api });
  return "";
}

/** Log the hint once per page, whatever the number of widgets. */
export function logForDeveloper(error, lang, where, log = console.error) {
  const hint = developerHint(error, lang, where);
  if (hint && !logged.has(hint)) {
    logged.add(hint);
    log(hint);
  }
}
