// The red-flag picker's filter (templates/referrals/red_flag_picker.html): typing in "Find a
// red flag" hides the flags whose name, group or service does not match, and the groups left
// empty; a ticked flag always stays in view. Without this script the box stays hidden and
// every flag shows, grouped. No inline scripts (CSP).
(function () {
  "use strict";
  if (window.icnRedFlags) {
    return;
  }
  window.icnRedFlags = true;

  function words(text) {
    return text.toLowerCase().replace(/\s+/g, " ").trim();
  }

  function filter(box) {
    var picker = box.closest("fieldset#red-flags");
    if (!picker) {
      return;
    }
    var query = words(box.value);
    var shown = 0;
    picker.querySelectorAll("[data-red-flag-group]").forEach(function (group) {
      var legend = words(group.querySelector("legend").textContent);
      var inGroup = 0;
      group.querySelectorAll("[data-red-flag]").forEach(function (item) {
        var ticked = item.querySelector("input").checked;
        var match = !query || ticked || words(item.textContent).indexOf(query) !== -1 ||
          legend.indexOf(query) !== -1;
        item.hidden = !match;
        inGroup += match ? 1 : 0;
      });
      group.hidden = inGroup === 0;
      shown += inGroup;
    });
    var none = picker.querySelector("[data-red-flag-none]");
    if (none) {
      none.hidden = shown !== 0;
    }
  }

  function reveal(root) {
    root.querySelectorAll("[data-red-flag-filter]").forEach(function (filterBox) {
      filterBox.hidden = false;
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "red-flag-filter") {
      filter(event.target);
    }
  });
  // Enter in the box would submit the whole form: it only filters.
  document.addEventListener("keydown", function (event) {
    if (event.target.id === "red-flag-filter" && event.key === "Enter") {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    reveal(event.target);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  } else {
    reveal(document);
  }
})();
