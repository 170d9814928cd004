// Live SMS segment count beside a textarea, by the rules of core/messaging/sms.py
// `segments`: GSM-7 (160 septets alone, 153 a part; extension characters take two) unless
// one character is outside it, then UCS-2 (70 UTF-16 units alone, 67 a part); a part never
// splits a character. Mark the textarea:
//   <textarea data-parrain-sms-counter="sms-count"
//             data-parrain-sms-variables='{"first_name": "Camille"}'></textarea>
//   <p id="sms-count" aria-live="polite"></p>
// The value names the element that shows the count (empty: one is added right after the
// textarea). Jinja variables ({{ first_name }}) count as the example value given in
// data-parrain-sms-variables (a JSON object), else as ten letters; {% tags %} count nothing.
// Forms added later (a Wagtail StreamField block): window.parrainSmsCounter.scan(root).
(function () {
  "use strict";
  var BASIC = "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\u000a\u00d8\u00f8\u000d\u00c5\u00e5\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9 !\"#\u00a4%&'()*+,-./0123456789:;<=>?\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0";
  var EXTENSION = "\u000c^{}\\[~]|\u20ac";
  var LIMITS = { "GSM-7": [160, 153], "UCS-2": [70, 67] };
  var TEXTS = {
    en: { sms: function (n) { return n === 1 ? "1 SMS" : n + " SMS"; }, empty: "0 SMS" },
    fr: { sms: function (n) { return n + " SMS"; }, empty: "0 SMS" },
  };

  function segments(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (c) { return BASIC.indexOf(c) >= 0 || EXTENSION.indexOf(c) >= 0; });
    var encoding = gsm ? "GSM-7" : "UCS-2";
    var sizes = chars.map(function (c) {
      return gsm ? (EXTENSION.indexOf(c) >= 0 ? 2 : 1) : c.length; // c.length: UTF-16 units
    });
    var units = sizes.reduce(function (a, b) { return a + b; }, 0);
    var single = LIMITS[encoding][0], part = LIMITS[encoding][1];
    var count = units ? 1 : 0;
    if (units > single) {
      var used = 0;
      sizes.forEach(function (size) {
        if (used + size > part) { count += 1; used = 0; }
        used += size;
      });
    }
    var capacity = count <= 1 ? single : part * count;
    return { encoding: encoding, characters: chars.length, units: units, segments: count, capacity: capacity };
  }

  function expand(text, variables) {
    return text
      .replace(/\{%[\s\S]*?%\}/g, "")
      .replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)[^}]*\}\}/g, function (m, name) {
        var value = variables[name];
        return value === undefined || value === null ? "xxxxxxxxxx" : String(value);
      });
  }

  function label(info) {
    var lang = (document.documentElement.lang || "en").slice(0, 2);
    var t = TEXTS[lang] || TEXTS.en;
    if (!info.segments) return t.empty;
    return t.sms(info.segments) + " \u00b7 " + info.units + "/" + info.capacity + " \u00b7 " + info.encoding;
  }

  function attach(area) {
    if (area.parrainSmsCounter) return;
    var id = area.getAttribute("data-parrain-sms-counter");
    var output = id ? document.getElementById(id) : null;
    if (!output) {
      output = document.createElement("p");
      output.className = "parrain-sms-counter help";
      output.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", output);
    }
    var variables = {};
    try {
      variables = JSON.parse(area.getAttribute("data-parrain-sms-variables") || "{}") || {};
    } catch (e) {
      variables = {};
    }
    function update() {
      var info = segments(expand(area.value, variables));
      output.textContent = label(info);
      output.setAttribute("data-segments", String(info.segments));
      output.setAttribute("data-encoding", info.encoding);
    }
    area.addEventListener("input", update);
    area.parrainSmsCounter = update;
    update();
  }

  function scan(root) {
    var areas = (root || document).querySelectorAll("textarea[data-parrain-sms-counter]");
    for (var i = 0; i < areas.length; i++) attach(areas[i]);
  }

  window.parrainSmsCounter = { scan: scan, segments: segments };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
})();
