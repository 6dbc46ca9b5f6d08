// Verification pages, progressive enhancement only (the pages work without it):
// - "Copy the unit's answer" fills the value control in the page (nothing is saved until
//   Save; without JavaScript the button saves the page with the unit's answer copied);
// - a warning before leaving the page with unsaved changes;
// - "none of these" and the options of a multiple choice exclude each other;
// - autosave is static/autosave.js (shared with the questionnaire): changed values, comments
//   and checked dates are saved a few seconds after typing stops.
"use strict";
(function () {
  var form = document.getElementById("verify");
  if (!form) { return; }
  var dirty = false;

  function fields(name) {
    return form.querySelectorAll("[name='" + name.replace(/'/g, "\\'") + "']");
  }

  function copy(button) {
    var value = JSON.parse(button.getAttribute("data-copy"));
    var wanted = Array.isArray(value) ? value.map(String) : (value === null ? [] : [String(value)]);
    var changedOne = false;
    fields(button.getAttribute("data-field")).forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = wanted.indexOf(input.value) !== -1;
      } else {
        input.value = wanted.length ? wanted[0] : "";
      }
      changedOne = true;
    });
    if (changedOne) {
      dirty = true;
      button.classList.add("copied");
      // autosave (static/autosave.js) saves what the copy put in the field
      fields(button.getAttribute("data-field"))[0].dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function exclusive(box) {
    if (!box.checked) { return; }
    fields(box.name).forEach(function (other) {
      if (other !== box && other.type === "checkbox" && (box.value === "-" || other.value === "-")) {
        other.checked = false;
      }
    });
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy-answer");
    if (!button) { return; }
    event.preventDefault();
    copy(button);
  });
  form.addEventListener("change", function (event) {
    dirty = true;
    if (event.target.type === "checkbox") { exclusive(event.target); }
  });
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  form.addEventListener("autosaved", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
