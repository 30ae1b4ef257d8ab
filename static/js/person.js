// The person's page: after a save that returns to a section (/patients/<id>/#visits), the
// confirmation or warning shown at the top of that section takes the focus, so that it is
// both seen and read out (patients/notices.py, templates/patients/notices.html). It waits
// for the page's load: the browser's own move to the #fragment clears the focus when the
// section itself cannot take it.
(function () {
  "use strict";
  function focusNotice() {
    var notice = document.querySelector("[data-person-notice]");
    if (notice && document.activeElement !== notice) {
      // The section's heading and its message in view, the message focused.
      (notice.closest("section") || notice).scrollIntoView({ block: "start" });
      notice.focus({ preventScroll: true });
    }
  }
  function later() {
    window.setTimeout(focusNotice, 0);
  }
  if (document.readyState === "complete") {
    later();
  } else {
    window.addEventListener("load", later);
  }
})();
