// Questionnaire pages, progressive enhancement only (the pages work without it):
// - a live estimate of the self-score, computed by the server's scoring rules on what is
//   typed (not saved), clearly labelled as an estimate;
// - a warning before leaving the page with unsaved changes;
// - "none of these" and the options of a multiple choice exclude each other;
// - autosave: changed answers are saved a few seconds after typing stops, through the same
//   merge as the save button (new files and links wait for the button).
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
    if (target.type === "file" || (target.type === "url" && event.type === "input")) {
      dirty = true;
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

  // ---- autosave ----------------------------------------------------------------------
  var AUTOSAVE_DELAY = 3000;
  var autosaveUrl = form.getAttribute("data-autosave-url");
  var status = form.querySelector("[data-autosave-status]");
  var autosaveTimer = null;
  var saving = false;
  var again = false;        // typed while a save was on its way: save once more after it
  var touched = {};         // fields typed in since the last save was sent

  function isAnswer(name) { return name && name.indexOf("answer-") === 0; }

  function autosaveBody() {
    var data = previewBody();
    var keys = [];
    data.forEach(function (value, key) { if (key.indexOf("link-") === 0) { keys.push(key); } });
    keys.forEach(function (key) { data.delete(key); });
    return data;
  }

  function show(text, failed) {
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("text-danger", !!failed);
    status.classList.toggle("text-muted", !failed);
  }

  function setField(name, values) {
    if (touched[name]) { return; }   // typed in since: what is typed wins
    form.querySelectorAll("[name='" + name + "']").forEach(function (field) {
      if (field.type === "radio" || field.type === "checkbox") {
        field.checked = values.indexOf(field.value) !== -1;
      } else {
        field.value = values.length ? values[0] : "";
      }
    });
  }

  function applied(result) {
    form.querySelector("input[name=version]").value = result.version;
    form.querySelector("input[name=base]").value = result.base;
    var label = form.querySelector("[data-version]");
    if (label) { label.textContent = result.version; }
    Object.keys(result.fields || {}).forEach(function (name) { setField(name, result.fields[name]); });
    if (result.saved) { show(result.message, false); }
  }

  function autosave() {
    if (!autosaveUrl) { return; }
    if (saving) { again = true; return; }
    saving = true;
    touched = {};
    var body = autosaveBody();
    fetch(autosaveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (result) { return { ok: response.ok, result: result }; });
    }).then(function (answer) {
      if (answer.ok) {
        applied(answer.result);
        if (!again && Object.keys(touched).length === 0) { dirty = false; }
      } else {
        show(answer.result.message || status.getAttribute("data-failed") || "", true);
      }
    }).catch(function () {
      show(status ? status.getAttribute("data-failed") || "" : "", true);
    }).then(function () {
      saving = false;
      if (again) { again = false; schedule(); }
    });
  }

  function schedule() {
    window.clearTimeout(autosaveTimer);
    autosaveTimer = window.setTimeout(autosave, AUTOSAVE_DELAY);
  }

  function typed(event) {
    var name = event.target.name;
    if (!isAnswer(name)) { return; }
    touched[name] = true;
    if (saving) { again = true; }
    schedule();
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  form.addEventListener("change", typed);
  form.addEventListener("input", typed);
  form.addEventListener("submit", function () { dirty = false; window.clearTimeout(autosaveTimer); });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
