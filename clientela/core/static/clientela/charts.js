// Charts of core.figures (decision 0016): each <canvas data-figure-chart="id"> is drawn from the
// JSON in <script id="id">, with Chart.js loaded once, only on pages that have a chart. The table
// under each chart holds the same numbers, so the chart is a picture of the table.
(function () {
  "use strict";
  var palette = ["#206bc4", "#2fb344", "#f59f00", "#d63939", "#ae3ec9", "#17a2b8", "#74b816", "#f76707", "#4263eb", "#868e96"];
  var loading = null;

  function loadChartJs(src) {
    if (window.Chart) return Promise.resolve();
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function build(cfg) {
    var kind = cfg.kind;
    var type = kind === "line" ? "line" : kind === "doughnut" ? "doughnut" : "bar";
    var percent = cfg.datasets.some(function (d) { return d.percent; });
    var datasets = cfg.datasets.map(function (d, i) {
      var color = palette[i % palette.length];
      var set = { label: d.label, data: d.data, borderColor: color, backgroundColor: color, tension: 0, spanGaps: true };
      if (type === "doughnut") set.backgroundColor = d.data.map(function (_v, j) { return palette[j % palette.length]; });
      if (type === "line") { set.backgroundColor = color + "33"; set.fill = cfg.datasets.length === 1; set.pointRadius = 3; }
      return set;
    });
    if (cfg.threshold && type !== "doughnut") {
      datasets.push({
        type: "line", label: cfg.threshold.label || "", data: cfg.labels.map(function () { return cfg.threshold.value; }),
        borderColor: "#d63939", borderDash: [6, 4], borderWidth: 2, pointRadius: 0, fill: false
      });
    }
    var options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      indexAxis: kind === "hbar" ? "y" : "x",
      plugins: { legend: { display: datasets.length > 1 || type === "doughnut", position: "bottom" } },
      locale: document.documentElement.lang || "en"
    };
    if (type !== "doughnut") {
      var valueAxis = { beginAtZero: true, stacked: kind === "stacked", ticks: {} };
      if (percent) valueAxis.ticks.callback = function (v) { return v + " %"; };
      var labelAxis = { stacked: kind === "stacked", ticks: { autoSkip: true, maxRotation: 0 } };
      options.scales = kind === "hbar" ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis };
    }
    return { type: type, data: { labels: cfg.labels, datasets: datasets }, options: options };
  }

  function draw(root) {
    var canvases = (root || document).querySelectorAll("canvas[data-figure-chart]");
    canvases.forEach(function (canvas) {
      if (canvas.dataset.drawn) return;
      canvas.dataset.drawn = "1";
      var data = document.getElementById(canvas.dataset.figureChart);
      if (!data) return;
      loadChartJs(canvas.dataset.chartjs).then(function () {
        new window.Chart(canvas, build(JSON.parse(data.textContent)));
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
