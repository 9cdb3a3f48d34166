/* helicone-lite dashboard: charts (uPlot) and small behaviours. No inline script anywhere:
   chart data is read from data-chart attributes (JSON.parse), never evaluated. */
(function () {
  "use strict";
  var PALETTE = ["#6366f1", "#22c55e", "#f59e0b", "#ef4444", "#06b6d4", "#a855f7", "#64748b", "#ec4899"];

  function fmt(kind, v) {
    if (v == null) return "—";
    if (kind === "money") return v >= 1 ? "$" + v.toFixed(2) : "$" + v.toPrecision(2);
    return Math.round(v).toLocaleString();
  }

  function textColor() {
    return getComputedStyle(document.documentElement).getPropertyValue("--muted").trim() || "#888";
  }

  // One colour per series label across every chart of the page: gpt-4o is the same colour in
  // the cost chart and in the requests chart, whatever order each lists its series in.
  var colours = Object.create(null);
  function colourOf(label, i) {
    if (label == null) return PALETTE[i % PALETTE.length];
    if (!(label in colours)) colours[label] = PALETTE[Object.keys(colours).length % PALETTE.length];
    return colours[label];
  }

  // Counts step in whole numbers (1, 2, 5, 10, ...): a 2.5 tick would print as "3".
  var WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7];

  // The y axis is as wide as its longest label ("$0.0000075" needs more room than "$0.20").
  function axisSize(u, labels) {
    var longest = 0;
    (labels || []).forEach(function (s) { longest = Math.max(longest, String(s).length); });
    return Math.max(48, Math.ceil(longest * 7.2) + 20);
  }

  function yAxis(kind, axisColor, grid) {
    var axis = { stroke: axisColor, grid: grid, ticks: grid, size: axisSize,
      values: function (u, vals) { return vals.map(function (v) { return fmt(kind, v); }); } };
    if (kind !== "money") axis.incrs = WHOLE_STEPS;
    return axis;
  }

  function drawChart(el) {
    if (el.dataset.drawn || typeof uPlot === "undefined") return;
    var data = JSON.parse(el.dataset.chart);
    el.dataset.drawn = "1";
    if (!data.x.length) {
      el.textContent = "No requests in this range.";
      el.classList.add("muted");
      return;
    }
    var kind = el.dataset.kind;
    var axisColor = textColor();
    var grid = { stroke: "rgba(128,128,160,.15)", width: 1 };
    var series = [{}];
    var values = [data.x];
    data.series.forEach(function (s, i) {
      var color = colourOf(s.label, i);
      series.push({ label: s.label, stroke: color, fill: color + "22", width: 2, points: { show: data.x.length < 40 },
        value: function (u, v) { return fmt(kind, v); } });
      values.push(s.values);
    });
    var opts = {
      width: Math.max(el.clientWidth, 280), height: 220, series: series,
      axes: [
        { stroke: axisColor, grid: grid, ticks: grid },
        yAxis(kind, axisColor, grid)
      ],
      cursor: { drag: { x: false, y: false } },
      // one point alone: a day either side (uPlot would otherwise span years around it)
      scales: data.x.length === 1 ? { x: { time: true, range: [data.x[0] - 86400, data.x[0] + 86400] } } : {},
      legend: { live: true }
    };
    var plot = new uPlot(opts, values, el);
    new ResizeObserver(function () { plot.setSize({ width: Math.max(el.clientWidth, 280), height: 220 }); }).observe(el);
  }

  function init(root) {
    root.querySelectorAll("[data-chart]").forEach(drawChart);
    root.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
      if (sel.dataset.bound) return;
      sel.dataset.bound = "1";
      sel.addEventListener("change", function () { if (sel.value !== "custom") sel.form.submit(); });
    });
  }

  // Filter forms leave empty fields out of the URL, so a shared link shows only what is set.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.classList || !form.classList.contains("filters")) return;
    form.querySelectorAll("input, select").forEach(function (field) {
      if (!field.value) field.disabled = true;
    });
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
  document.addEventListener("htmx:beforeRequest", function (e) {
    var el = e.detail.elt;
    if (el.classList && el.classList.contains("leaf")) {
      document.querySelectorAll(".leaf.selected").forEach(function (x) { x.classList.remove("selected"); });
      el.classList.add("selected");
    }
  });
})();
