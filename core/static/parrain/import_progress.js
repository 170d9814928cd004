/* The contact import's progress bar (core/contact_import_views.py): polls the import's
 * JSON status every second, moves the bar and the counts, and reloads the page once the
 * step is over (the page then shows the dry run or the final report).
 *
 * <div data-parrain-import-status="/…/status/" data-parrain-import-state="running">
 *   <progress data-parrain-import-bar max="100" value="0"></progress>  (or a div: its width)
 *   <span data-parrain-import-rows></span> <span data-parrain-import-count="new"></span> …
 * </div>
 */
(function () {
  "use strict";
  var POLL_MS = 1000;

  function update(box, data) {
    var bar = box.querySelector("[data-parrain-import-bar]");
    if (bar && bar.tagName === "PROGRESS") {
      bar.value = data.percent;
      bar.textContent = data.percent + " %";
    } else if (bar) {
      bar.style.width = data.percent + "%";
      bar.setAttribute("aria-valuenow", data.percent);
    }
    var percent = box.querySelector("[data-parrain-import-percent]");
    if (percent) percent.textContent = data.percent + " %";
    var rows = box.querySelector("[data-parrain-import-rows]");
    if (rows) rows.textContent = data.rows_done + (data.total_rows ? " / " + data.total_rows : "");
    var label = box.querySelector("[data-parrain-import-label]");
    if (label) label.textContent = data.status_label;
    Object.keys(data.counts).forEach(function (key) {
      var cell = box.querySelector('[data-parrain-import-count="' + key + '"]');
      if (cell) cell.textContent = data.counts[key];
    });
  }

  function poll(box) {
    var state = box.getAttribute("data-parrain-import-state");
    fetch(box.getAttribute("data-parrain-import-status"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        update(box, data);
        if (data.status !== state) {
          window.location.reload();
          return;
        }
        window.setTimeout(function () { poll(box); }, POLL_MS);
      })
      .catch(function () {
        window.setTimeout(function () { poll(box); }, POLL_MS * 3);
      });
  }

  function start() {
    var boxes = document.querySelectorAll("[data-parrain-import-status]");
    Array.prototype.forEach.call(boxes, function (box) {
      window.setTimeout(function () { poll(box); }, POLL_MS);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
