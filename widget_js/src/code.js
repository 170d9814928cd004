// Where the referee's code comes from: the attribute, the URL (?parrain=) or the cookie.

export const QUERY_PARAM = "parrain";
export const COOKIE = "parrain_ref";
const VALID = /^[A-Za-z0-9]{4,32}$/;

export function readCode({ attribute = "", search = "", cookie = "" } = {}) {
  const fromQuery = new URLSearchParams(search).get(QUERY_PARAM) || "";
  const fromCookie = cookie
    .split(";")
    .map((part) => part.trim().split("="))
    .find(([name]) => name === COOKIE);
  for (const candidate of [attribute, fromQuery, fromCookie ? fromCookie[1] : ""]) {
    const code = safeDecode(candidate || "").trim();
    if (VALID.test(code)) return code.toUpperCase();
  }
  return "";
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return "";
  }
}
