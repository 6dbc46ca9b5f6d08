// Questionnaire pages, progressive enhancement only (the pages work without it):
// - a live estimate of the self-score, computed by the server's scoring rules on what is
//   typed (not saved), clearly labelled as an estimate;
// - a warning before leaving the page with unsaved changes;
// - "none of these" and the options of a multiple choice exclude each other;
// - autosave is static/autosave.js (shared with the judge's verification page): changed
//   answers are saved a few seconds after typing stops (new files and links wait for Save).
"use strict";
(function () {
  var form = document.getElementById("answers");
  if (!form) { return; }
  var estimate = document.querySelector("[data-preview-url]");
  var dirty = false;
  var timer = null;
  var sent = 0;  // the newest request wins: a slower, older answer is dropped

  function previewBody() {
    var data = new FormData(form);
    var keys = [];
    data.forEach(function (value, key) { if (value instanceof File) { keys.push(key); } });
    keys.forEach(function (key) { data.delete(key); });
    return data;
  }

  function refresh() {
    if (!estimate) { return; }
    var mine = ++sent;
    fetch(estimate.getAttribute("data-preview-url"), {
      method: "POST", body: previewBody(), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (result) {
      if (mine !== sent) { return; }
      estimate.querySelector("[data-estimate=aspect]").textContent = result.aspect;
      estimate.querySelector("[data-estimate=total]").textContent = result.total;
      estimate.hidden = false;
    }).catch(function () { if (mine === sent) { estimate.hidden = true; } });
  }

  function changed(event) {
    var target = event.target;
    if (target.type === "file" || target.type === "url") {
      dirty = true;
      evidenceWaits = evidenceWaits || !!target.value;
      return;
    }
    dirty = true;
    if (target.type === "checkbox") { exclusive(target); }
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  }

  function exclusive(box) {
    if (!box.checked) { return; }
    var boxes = form.querySelectorAll("input[type=checkbox][name='" + box.name + "']");
    boxes.forEach(function (other) {
      if (other !== box && (box.value === "-" || other.value === "-")) { other.checked = false; }
    });
  }

  // autosave (static/autosave.js): everything typed is saved, unless a file or link waits
  var evidenceWaits = false;
  form.addEventListener("autosaved", function () { if (!evidenceWaits) { dirty = false; } });

  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
