// Where the referee's code comes from: the attribute, the URL (?parrain=) or the cookie.

export const QUERY_PARAM = "parrain";
export const COOKIE = "parrain_ref";
// When the share link was clicked (signed by the server): a boost running then applies.
export const CLICK_COOKIE = "parrain_ref_at";
const VALID = /^[A-Za-z0-9]{4,32}$/;

export function cookieValue(cookie, wanted) {
  const found = cookie
    .split(";")
    .map((part) => part.trim().split("="))
    .find(([name]) => name === wanted);
  return found ? found.slice(1).join("=") : "";
}

export function readCode({ attribute = "", search = "", cookie = "" } = {}) {
  const fromQuery = new URLSearchParams(search).get(QUERY_PARAM) || "";
  for (const candidate of [attribute, fromQuery, cookieValue(cookie, COOKIE)]) {
    const code = safeDecode(candidate || "").trim();
    if (VALID.test(code)) return code.toUpperCase();
  }
  return "";
}

export function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return "";
  }
}
