// The dashboard's charts, drawn with the vendored Chart.js from the JSON block beside each
// canvas (rendered by Django's json_script: data, not a script, so CSP allows it). Colours come
// from the stylesheet's custom properties. The table under each chart holds the same numbers
// and is what screen readers read; the charts are hidden from them.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  var Chart = window.Chart;
  var root = getComputedStyle(document.documentElement);

  function css(name, fallback) {
    var value = root.getPropertyValue(name).trim();
    return value || fallback;
  }

  var tones = {
    blue: css("--chart-blue", "#005eb8"),
    "dark-blue": css("--chart-dark-blue", "#003087"),
    orange: css("--chart-orange", "#ed8b00"),
    aqua: css("--chart-aqua", "#00a499"),
    grey: css("--chart-grey", "#768692"),
  };
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  Chart.defaults.font.family = css("--font", "Arial, sans-serif");
  Chart.defaults.font.size = 14;
  Chart.defaults.color = css("--text", "#212b32");

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var stacked = Boolean(spec.stacked);
    var horizontal = Boolean(spec.horizontal);
    var valueAxis = {
      stacked: stacked,
      beginAtZero: true,
      ticks: { precision: 0 },
      title: { display: Boolean(spec.axis), text: spec.axis || "" },
      grid: { color: css("--grey-4", "#d8dde0") },
    };
    var categoryAxis = { stacked: stacked, grid: { display: false } };
    // Show the chart's box before drawing, so that Chart.js measures its real size.
    canvas.parentElement.classList.add("chart--ready");
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series) {
          return {
            label: series.label,
            data: series.data,
            backgroundColor: tones[series.tone] || tones.blue,
            borderWidth: 0,
            maxBarThickness: 48,
          };
        }),
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 250 },
        scales: horizontal
          ? { x: valueAxis, y: categoryAxis }
          : { x: categoryAxis, y: valueAxis },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 16, padding: 16 } },
          tooltip: { mode: "index", intersect: false },
        },
      },
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
})();
