// Boosted-offer countdown for server-rendered pages (templates/parrain/includes/offer.html):
// ticks every second in the reader's language and, at the end, shows the normal offer again
// without a reload. Pages load it once: <script src="{% static 'parrain/countdown.js' %}" defer>.
(function () {
  "use strict";
  var lang = document.documentElement.lang || navigator.language || "en";
  var units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  function format(seconds) {
    var parts = [];
    for (var i = 0; i < units.length && parts.length < 2; i++) {
      var n = Math.floor(seconds / units[i][1]);
      if (n > 0 || (parts.length === 0 && i === units.length - 1)) {
        seconds -= n * units[i][1];
        try {
          parts.push(new Intl.NumberFormat(lang, { style: "unit", unit: units[i][0], unitDisplay: "long" }).format(n));
        } catch (e) {
          parts.push(n + " " + units[i][0] + (n === 1 ? "" : "s"));
        }
      }
    }
    return parts.join(" ");
  }
  function tick() {
    var boxes = document.querySelectorAll("[data-parrain-ends-at]");
    var now = Date.now();
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var left = Math.floor((Date.parse(box.getAttribute("data-parrain-ends-at")) - now) / 1000);
      var counter = box.querySelector("[data-parrain-countdown]");
      if (left <= 0) {
        var boosted = box.querySelector(".parrain-offer__boosted");
        var normal = box.querySelector(".parrain-offer__normal");
        if (boosted) boosted.hidden = true;
        if (normal) normal.hidden = false;
        box.classList.remove("parrain-offer--boosted");
        box.removeAttribute("data-parrain-ends-at");
        if (counter && counter.hasAttribute("data-parrain-done")) counter.textContent = counter.getAttribute("data-parrain-done");
      } else if (counter) {
        counter.textContent = format(left);
      }
    }
  }
  function start() {
    tick();
    setInterval(tick, 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
