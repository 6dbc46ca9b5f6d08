// Autosave of a form, progressive enhancement only (the page works without it): the
// questionnaire's aspect page (form#answers) and the judge's verification page (form#verify).
// A form opts in with:
//   data-autosave-url     where the changed fields are posted (JSON answer);
//   data-autosave-fields  the name prefixes of the fields that are saved ("answer-", or
//                         "verified- comment- checked-"): typing in one of them schedules a save;
//   data-autosave-skip    name prefixes never sent (links wait for the Save button); files
//                         are never sent either;
//   data-autosave-marked  the classes an incomplete item's section takes (default
//                         "incomplete border-warning").
// A fragment under a field may carry data-error-for (the field's name) and data-error-id (the
// id of the reason it holds when the kept value is not valid): after the fragment is
// refreshed, the field, its group and its section are marked not valid (or no longer) as the
// server marks them.
// The changed fields are saved a few seconds after typing stops, through the same per-field
// merge as the Save button; the answer carries the new version and signed base, the current
// value of fields others saved meanwhile (taken unless typed in since), and fresh copies of
// the page's marks and counts ("fragments": HTML of the elements marked data-fragment, and
// "marked": the ids of the incomplete items), computed by the same function as the page.
// The form receives an "autosaved" event when everything typed has been saved.
"use strict";
(function () {
  var AUTOSAVE_DELAY = 3000;

  function words(text) { return (text || "").split(/\s+/).filter(Boolean); }

  function startsWithAny(name, prefixes) {
    return !!name && prefixes.some(function (p) { return name.indexOf(p) === 0; });
  }

  function setup(form) {
    var url = form.getAttribute("data-autosave-url");
    var fields = words(form.getAttribute("data-autosave-fields"));
    var skip = words(form.getAttribute("data-autosave-skip"));
    var status = form.querySelector("[data-autosave-status]");
    var timer = null;
    var saving = false;
    var again = false;        // typed while a save was on its way: save once more after it
    var touched = {};         // fields typed in since the last save was sent

    function body() {
      var data = new FormData(form);
      var drop = [];
      data.forEach(function (value, key) {
        if (value instanceof File || startsWithAny(key, skip)) { drop.push(key); }
      });
      drop.forEach(function (key) { data.delete(key); });
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
      form.querySelectorAll("[name='" + name.replace(/'/g, "\\'") + "']").forEach(function (field) {
        if (field.type === "radio" || field.type === "checkbox") {
          field.checked = values.indexOf(field.value) !== -1;
        } else {
          field.value = values.length ? values[0] : "";
        }
      });
    }

    function describedBy(element, id, on) {
      var ids = words(element.getAttribute("aria-describedby")).filter(function (x) { return x !== id; });
      if (on) { ids.unshift(id); }
      if (ids.length) { element.setAttribute("aria-describedby", ids.join(" ")); }
      else { element.removeAttribute("aria-describedby"); }
    }

    // a field's reason refreshed: the field (aria-invalid, is-invalid, aria-describedby of the
    // text field or of its radio/checkbox group) and its section follow
    function markInvalid(holder) {
      var id = holder.getAttribute("data-error-id");
      var invalid = !!holder.querySelector("[id='" + id + "']");
      var section = holder.closest("section.indicator");
      var name = holder.getAttribute("data-error-for").replace(/'/g, "\\'");
      if (section) { section.classList.toggle("border-danger", invalid); }
      form.querySelectorAll("[name='" + name + "']").forEach(function (field) {
        if (field.classList.contains("number-na")) { return; }   // "not applicable" box
        if (invalid) { field.setAttribute("aria-invalid", "true"); }
        else { field.removeAttribute("aria-invalid"); }
        var text = field.classList.contains("form-control");
        if (text) { field.classList.toggle("is-invalid", invalid); }
        var described = text ? field : field.closest("[role=radiogroup], [role=group]");
        if (described && (!section || section.contains(described))) {
          describedBy(described, id, invalid);
        }
      });
    }

    function refreshMarks(result) {
      var fragments = result.fragments || {};
      document.querySelectorAll("[data-fragment]").forEach(function (element) {
        var name = element.getAttribute("data-fragment");
        if (Object.prototype.hasOwnProperty.call(fragments, name)) {
          element.innerHTML = fragments[name];
          if (element.hasAttribute("data-error-for")) { markInvalid(element); }
        }
      });
      if (!result.marked) { return; }
      var classes = words(form.getAttribute("data-autosave-marked") || "incomplete border-warning");
      form.querySelectorAll("section.indicator[id^='ind-']").forEach(function (section) {
        var marked = result.marked.indexOf(section.id.slice(4)) !== -1;
        classes.forEach(function (name) {
          if (name !== "border-warning" || !section.classList.contains("border-danger")) {
            section.classList.toggle(name, marked);
          }
        });
      });
    }

    function applied(result) {
      form.querySelector("input[name=version]").value = result.version;
      form.querySelector("input[name=base]").value = result.base;
      var label = form.querySelector("[data-version]");
      if (label) { label.textContent = result.version; }
      Object.keys(result.fields || {}).forEach(function (name) { setField(name, result.fields[name]); });
      refreshMarks(result);
      if (result.saved) { show(result.message, false); }
    }

    function save() {
      if (saving) { again = true; return; }
      saving = true;
      touched = {};
      fetch(url, {
        method: "POST", body: body(), credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (result) { return { ok: response.ok, result: result }; });
      }).then(function (answer) {
        if (answer.ok) {
          applied(answer.result);
          if (!again && Object.keys(touched).length === 0) {
            form.dispatchEvent(new CustomEvent("autosaved"));
          }
        } else {
          show(answer.result.message || (status && status.getAttribute("data-failed")) || "", true);
        }
      }).catch(function () {
        show(status ? status.getAttribute("data-failed") || "" : "", true);
      }).then(function () {
        saving = false;
        if (again) { again = false; schedule(); }
      });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, AUTOSAVE_DELAY);
    }

    function typed(event) {
      var name = event.target.name;
      if (!startsWithAny(name, fields)) { return; }
      touched[name] = true;
      if (saving) { again = true; }
      schedule();
    }

    form.addEventListener("change", typed);
    form.addEventListener("input", typed);
    form.addEventListener("submit", function () { window.clearTimeout(timer); });
  }

  document.querySelectorAll("form[data-autosave-url]").forEach(setup);
})();
