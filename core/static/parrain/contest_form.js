// Contest form (core/forms/contest.py): show the loyalty action and badge fields only for
// the ticket source that uses them. Works in any admin: it hides the field's row.
(function () {
  "use strict";
  function row(input) {
    return input.closest(".form-row, .form-group, .w-field__wrapper, p, li, tr") || input.parentElement;
  }
  function update() {
    var inputs = document.querySelectorAll("[data-parrain-show-if]");
    for (var i = 0; i < inputs.length; i++) {
      var rule = inputs[i].getAttribute("data-parrain-show-if").split("=");
      var source = inputs[i].form && inputs[i].form.elements[rule[0]];
      if (source) row(inputs[i]).hidden = source.value !== rule[1];
    }
  }
  function start() {
    update();
    document.addEventListener("change", function (event) {
      if (event.target && event.target.name === "ticket_source") update();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
