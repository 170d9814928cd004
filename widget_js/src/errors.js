// A friendly, visible message for every failure: never a blank box.
import { t } from "./i18n.js";

export function messageFor(error, lang, context = "") {
  const status = error && typeof error.status === "number" ? error.status : -1;
  if (status === 0) return t(lang, "network");
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
