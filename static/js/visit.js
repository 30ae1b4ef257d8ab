// The visit form (templates/medicines/visit_form.html). "Add another change" adds an empty
// row here, from the page's <template>, and counts it in iv-TOTAL_FORMS; without this script
// the same button posts the form and the page comes back with one more row, nothing saved.
// No inline scripts (CSP).
(function () {
  "use strict";
  var MAX_ROWS = 20;

  document.addEventListener("click", function (event) {
    var button = event.target.closest("#add-change-row");
    if (!button) {
      return;
    }
    var form = button.form;
    var total = form.querySelector("#id_iv-TOTAL_FORMS");
    var template = document.getElementById("change-row-template");
    var rows = document.getElementById("change-rows");
    var count = parseInt(total.value, 10) || 0;
    if (!template || !rows || count >= MAX_ROWS) {
      return;  // the no-script path: the server adds it
    }
    event.preventDefault();
    var html = template.innerHTML
      .replace(/__prefix__/g, String(count))
      .replace(/__number__/g, String(count + 1));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(count + 1);
    var added = rows.lastElementChild;
    var first = added && added.querySelector("select, input");
    if (first) {
      first.focus();
    }
  });
})();
