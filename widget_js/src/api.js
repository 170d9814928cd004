// The public API client: one configuration request per page, problems turned into errors.

export class WidgetError extends Error {
  constructor(status, problem = {}, retryAfter = 0) {
    super(problem.detail || `HTTP ${status}`);
    this.status = status; // 0: the network failed
    this.type = String(problem.type || "").replace("urn:parrain:problem:", "");
    this.detail = problem.detail || "";
    this.fields = (problem.errors || []).map((e) => e.field);
    this.retryAfter = retryAfter;
  }
}

const configs = new Map();

/** A client of `api` (origin) for the program `key`, speaking `lang`. */
export function createClient({ api, key, lang, fetch = globalThis.fetch }) {
  const base = `${String(api || "").replace(/\/$/, "")}/api/v1/public/${encodeURIComponent(key)}`;

  async function request(path, body) {
    const init = { method: body ? "POST" : "GET", credentials: "omit", headers: {} };
    init.headers["Accept-Language"] = lang;
    if (body) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(`${base}${path}${path.includes("?") ? "&" : "?"}lang=${lang}`, init);
    } catch {
      throw new WidgetError(0);
    }
    let data = {};
    try {
      data = await response.json();
    } catch {
      data = {};
    }
    if (!response.ok) {
      const retry = Number(response.headers.get("Retry-After")) || 0;
      throw new WidgetError(response.status, data, retry);
    }
    return data;
  }

  return {
    base,
    /** Shared by every widget of the page with the same API, key and language. */
    config() {
      const id = `${base}|${lang}`;
      if (!configs.has(id)) {
        const pending = request("/config");
        pending.catch(() => configs.delete(id)); // a failed request may be retried
        configs.set(id, pending);
      }
      return configs.get(id);
    },
    enrol: (email) => request("/referrers", { email, language: lang }),
    me: (identity) => request("/me", { identity }),
    loyalty: (identity) => request("/loyalty", { identity }),
    invite: (payload) => request("/invitations", payload),
    lookup: (code) => request(`/codes/${encodeURIComponent(code)}`),
    claim: (payload) => request("/claims", payload),
    optIn: (id, identity) => request(`/contests/${encodeURIComponent(id)}/opt-in`, { identity }),
    qrUrl: (code) => `${base}/codes/${encodeURIComponent(code)}/qr.svg`,
  };
}

export function forgetConfigs() {
  configs.clear();
}
