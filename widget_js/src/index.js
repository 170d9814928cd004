// Entry point: one <script data-parrain-key="pk_…"> turns every
// <div data-parrain-widget="referrer|referee|loyalty"> of the page into a <parrain-widget>.
import { ParrainWidget } from "./element.js";

const TAG = "parrain-widget";
const OPTIONS = { identity: "parrainIdentity", heading: "parrainTitle", colour: "parrainColour", code: "parrainCode" };

function scriptDefaults() {
  const script = document.currentScript || document.querySelector("script[data-parrain-key]");
  const data = script ? script.dataset : {};
  let api = data.parrainApi || "";
  if (!api && script && script.src) api = new URL(script.src, location.href).origin;
  return { key: data.parrainKey || "", api };
}

export function mount(root, defaults) {
  for (const spot of root.querySelectorAll("[data-parrain-widget]")) {
    if (spot.querySelector(TAG)) continue;
    const widget = document.createElement(TAG);
    widget.setAttribute("kind", spot.dataset.parrainWidget);
    widget.setAttribute("key", spot.dataset.parrainKey || defaults.key);
    widget.setAttribute("api", spot.dataset.parrainApi || defaults.api);
    for (const [name, key] of Object.entries(OPTIONS)) {
      if (spot.dataset[key]) widget.setAttribute(name, spot.dataset[key]);
    }
    spot.append(widget);
  }
}

if (!customElements.get(TAG)) {
  const defaults = scriptDefaults();
  customElements.define(TAG, ParrainWidget);
  const scan = () => mount(document, defaults);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
  window.Parrain = { mount: scan };
}
