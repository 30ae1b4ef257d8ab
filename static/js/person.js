// The person's page: after a save that returns to a section (/patients/<id>/#visits), the
// confirmation or warning shown at the top of that section takes the focus, so that it is
// both seen and read out (patients/notices.py, templates/patients/notices.html).
(function () {
  "use strict";
  function focusNotice() {
    var notice = document.querySelector("[data-person-notice]");
    if (notice) {
      notice.focus();
      notice.scrollIntoView({ block: "start" });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusNotice);
  } else {
    focusNotice();
  }
})();
