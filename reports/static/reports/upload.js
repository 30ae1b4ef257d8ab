// Hospital admissions: the CSV upload shows its progress (htmx's htmx:xhr:progress events on
// the form), then "Checking every row…" while the server checks; and the decision buttons
// of a checked file are pressed once. No inline scripts (CSP).
(function () {
  "use strict";

  function uploadForm(event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || !elt.closest) {
      return null;
    }
    return elt.closest("form[data-upload]");
  }

  function parts(form) {
    return {
      box: form.querySelector("[data-upload-progress]"),
      bar: form.querySelector("progress"),
      label: form.querySelector("[data-upload-status]"),
      announce: form.querySelector("[data-upload-announce]"),
    };
  }

  function say(form, text, announce) {
    var p = parts(form);
    p.label.textContent = text;
    if (announce) {
      p.announce.textContent = text;
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = uploadForm(event);
    if (!form) {
      return;
    }
    var p = parts(form);
    form.dataset.phase = "upload";
    form.dataset.announced = "0";
    p.box.hidden = false;
    p.bar.max = 100;
    p.bar.value = 0;
    say(form, "Uploading… 0%", true);
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = uploadForm(event);
    // Upload progress only: the response's own progress comes after the check.
    if (!form || form.dataset.phase !== "upload" || !event.detail.lengthComputable) {
      return;
    }
    var p = parts(form);
    var total = event.detail.total || 1;
    var percent = Math.min(100, Math.round((event.detail.loaded * 100) / total));
    p.bar.value = percent;
    // Screen readers hear every quarter, not every percent.
    var quarter = Math.floor(percent / 25);
    var announce = quarter > Number(form.dataset.announced);
    if (announce) {
      form.dataset.announced = String(quarter);
    }
    if (event.detail.loaded >= total) {
      form.dataset.phase = "check";
      p.bar.removeAttribute("value"); // indeterminate while the server checks
      say(form, "Uploaded. Checking every row…", true);
    } else {
      say(form, "Uploading… " + percent + "%", announce);
    }
  });

  // htmx copies "style" from the old form's fields to the new ones as it settles; an empty
  // style="" (some browsers leave one on inputs) would then be refused by the CSP. Drop
  // empty ones before the form with errors is swapped in.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.querySelector || !target.querySelector("form[data-upload]")) {
      return;
    }
    target.querySelectorAll('[style=""]').forEach(function (element) {
      element.removeAttribute("style");
    });
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = uploadForm(event);
    if (!form || !document.body.contains(form)) {
      return; // a form with errors has been swapped in, or the result page is opening
    }
    if (event.detail.failed && !(event.detail.xhr && event.detail.xhr.status)) {
      form.dataset.phase = "";
      say(form, "The upload failed: check the connection and try again.", true);
    } else if (event.detail.successful) {
      say(form, "Checked. Opening the result…", true);
    }
  });

  // A decision is sent once: a second click would be refused anyway (409).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-submit-once]")) {
      return;
    }
    if (form.dataset.sent === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      document.querySelectorAll("form[data-submit-once] button").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });
})();
