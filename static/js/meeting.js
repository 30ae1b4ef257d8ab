// Meeting mode shortcuts: Alt+N next person, Alt+P previous person (announced in the page's
// visually hidden help text). Loaded only on the meeting page; no inline scripts (CSP).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var key = event.key.toLowerCase();
    var code = event.code;
    var target = null;
    if (key === "n" || code === "KeyN") {
      target = document.getElementById("next-person");
    } else if (key === "p" || code === "KeyP") {
      target = document.getElementById("prev-person");
    }
    if (target) {
      event.preventDefault();
      target.click();
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
