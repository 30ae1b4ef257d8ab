// Meeting mode shortcuts, listed in the page's "Keyboard shortcuts" details: Alt (with or
// without Shift) and a letter, so no single key is ever a shortcut (WCAG 2.1.4) and typing in
// the notes is never taken for one. Alt+W the notes, Alt+R the decision (again: the
// discharge), Alt+A a new action,
// Alt+N and Alt+P the next and previous person. Loaded only on the meeting page (CSP).
(function () {
  "use strict";
  var keys = {
    KeyW: function () { return document.getElementById("record-notes"); },
    // The decision: the first field of "continue"; pressed again there, of "discharge".
    KeyR: function () {
      var forms = ["decision-continue", "decision-discharge"].map(function (id) {
        return document.getElementById(id);
      });
      var inFirst = forms[0] && forms[0].contains(document.activeElement);
      var form = forms[inFirst ? 1 : 0];
      return form && form.querySelector("input:not([type=hidden]), select, textarea");
    },
    KeyA: function () { return document.getElementById("action-title"); },
    KeyN: function () { return document.getElementById("next-person"); },
    KeyP: function () { return document.getElementById("prev-person"); }
  };
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || !keys[event.code]) {
      return;
    }
    var target = keys[event.code]();
    if (!target) {
      return;
    }
    event.preventDefault();
    if (target.tagName === "A") {
      target.click();
      return;
    }
    var closed = target.closest("details:not([open])");
    if (closed) {
      closed.open = true;
    }
    target.focus();
    if (target.scrollIntoView) {
      target.scrollIntoView({ block: "center" });
    }
  });
})();

// Never lose a word: leaving the person while the notes have unsaved typing saves them first
// (and the browser warns if the page is closed before the save is done).
(function () {
  "use strict";
  var dirty = false;
  var leaving = null;
  var sent = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var notes = document.getElementById("record-notes");
    if (notes && event.detail && event.detail.elt && event.detail.elt.closest("#record")) {
      sent = notes.value;
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "record-notes") {
      dirty = true;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.closest || !elt.closest("#record")) {
      return;
    }
    var notes = document.getElementById("record-notes");
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status >= 200 && status < 300) {
      // A whole new record (a decision, or "take theirs") holds what the server has.
      var whole = elt.getAttribute("hx-target") === "#record";
      dirty = notes && !whole ? notes.value !== sent : false;
    }
    if (leaving) {
      var href = leaving;
      leaving = null;
      if (!dirty) {
        window.location.assign(href);
      }
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
    var notes = document.getElementById("record-notes");
    if (!link || !notes || !dirty || !window.htmx) {
      return;
    }
    event.preventDefault();
    leaving = link.href;
    window.htmx.trigger(notes, "blur");
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
