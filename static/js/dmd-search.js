// The medication form's dm+d search (templates/medicines/medication_form.html): a result's
// button fills the name, strength, form and dm+d code from its data attributes, then moves
// on to the dose. Without this script (or htmx) the plain fields are typed as before.
// No inline scripts (CSP).
(function () {
  "use strict";

  function set(id, value) {
    var field = document.getElementById(id);
    if (field && value) {
      field.value = value;
    }
  }

  // Enter in the search box searches; it does not post the half-filled form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.id === "dmd-q") {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dmd-code]");
    if (!button) {
      return;
    }
    event.preventDefault();
    set("id_name", button.getAttribute("data-dmd-name"));
    set("id_dmd_code", button.getAttribute("data-dmd-code"));
    set("id_strength", button.getAttribute("data-dmd-strength"));
    set("id_form", button.getAttribute("data-dmd-form"));
    var results = document.getElementById("dmd-results");
    if (results) {
      results.innerHTML = "";
      var chosen = document.createElement("p");
      chosen.className = "nhsuk-body-s";
      chosen.textContent = "Chosen: " + button.getAttribute("data-dmd-name") +
        " (dm+d " + button.getAttribute("data-dmd-code") + ").";
      results.appendChild(chosen);
    }
    var dose = document.getElementById("id_dose_amount");
    if (dose) {
      dose.focus();
    }
  });
})();
