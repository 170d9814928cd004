// Program editor (core/forms/program.py), in any of the three admins: reorder the share
// channels, show one text input per chosen language with the other languages' text as a
// hint, and add rows to the list of allowed origins. Plain DOM, no framework.
(function () {
  "use strict";

  function moveChannel(button) {
    var item = button.closest("li");
    if (!item) return;
    if (button.getAttribute("data-move") === "up" && item.previousElementSibling) {
      item.parentNode.insertBefore(item, item.previousElementSibling);
    } else if (button.getAttribute("data-move") === "down" && item.nextElementSibling) {
      item.parentNode.insertBefore(item.nextElementSibling, item);
    }
    button.focus();
  }

  function chosenLanguages(form) {
    var select = form && form.elements.languages;
    if (!select || !select.options) return null;
    var chosen = [];
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].selected) chosen.push(select.options[i].value);
    }
    return chosen;
  }

  function showLanguages(form) {
    var chosen = chosenLanguages(form);
    if (!chosen) return;
    var rows = form.querySelectorAll("[data-parrain-language]");
    for (var i = 0; i < rows.length; i++) {
      rows[i].hidden = chosen.indexOf(rows[i].getAttribute("data-parrain-language")) < 0;
    }
    var hints = form.querySelectorAll("[data-hint]");
    for (var j = 0; j < hints.length; j++) updateHint(hints[j], chosen);
  }

  function updateHint(hint, chosen) {
    var code = hint.getAttribute("data-hint");
    var group = hint.closest("[data-parrain-per-language]");
    var source = group && group.querySelector('[data-language="' + code + '"]');
    var text = source ? source.value.trim() : "";
    hint.querySelector("[data-hint-text]").textContent = text;
    hint.hidden = !text || (chosen && chosen.indexOf(code) < 0);
  }

  function addOrigin(button) {
    var list = button.closest("[data-parrain-origins]").querySelector("ul");
    var last = list.querySelector("li:last-child");
    var row = last.cloneNode(true);
    var input = row.querySelector("input");
    input.value = "";
    input.id = input.id.replace(/_\d+$/, "_" + list.children.length);
    list.appendChild(row);
    input.focus();
  }

  function start() {
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].querySelector("[data-parrain-per-language]")) showLanguages(forms[i]);
    }
    document.addEventListener("click", function (event) {
      var target = event.target.closest && event.target.closest("[data-move], [data-add-origin]");
      if (!target) return;
      event.preventDefault();
      if (target.hasAttribute("data-move")) moveChannel(target);
      else addOrigin(target);
    });
    document.addEventListener("change", function (event) {
      if (event.target && event.target.name === "languages") showLanguages(event.target.form);
    });
    // Enhanced selects (Oscar's select2) announce changes through jQuery only.
    if (window.jQuery) {
      window.jQuery(document).on("change", "select[name=languages]", function () {
        showLanguages(this.form);
      });
    }
    document.addEventListener("input", function (event) {
      var group = event.target.closest && event.target.closest("[data-parrain-per-language]");
      if (!group) return;
      var hints = group.querySelectorAll('[data-hint="' + event.target.getAttribute("data-language") + '"]');
      var chosen = chosenLanguages(event.target.form);
      for (var i = 0; i < hints.length; i++) updateHint(hints[i], chosen);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
