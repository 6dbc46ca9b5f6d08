// Progressive enhancement only: every page works without JavaScript.
"use strict";

// A table wider than the screen scrolls sideways in its .table-responsive box: make that box
// reachable and scrollable by keyboard (WCAG 2.1.1), named after its table's caption. Boxes
// that fit get no extra tab stop.
(function () {
  function keyboardScroll() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        var section = box.closest("section");
        var name = box.querySelector("caption") || (section && section.querySelector("h2, h3"));
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", name ? name.textContent.trim() : document.title);
        box.dataset.keyboardScroll = "1";
      } else if (!scrolls && box.dataset.keyboardScroll) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        delete box.dataset.keyboardScroll;
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", keyboardScroll);
  } else {
    keyboardScroll();
  }
  window.addEventListener("resize", keyboardScroll);
}());
