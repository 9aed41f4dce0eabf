// xxgk's pages need little script: htmx swaps server-rendered fragments, and this file draws the
// ECharts charts whose options the server computed (no rule or figure is computed here).
(function () {
  "use strict";
  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var src = document.getElementById(el.dataset.chart);
      if (!src) return;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(src.textContent));
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (e) { drawCharts(e.target); });
  // Keyboard: a focusable table cell opens like a click (Enter or Space).
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if ((e.key === "Enter" || e.key === " ") && t && t.matches && t.matches("td.cell[tabindex]")) {
      e.preventDefault(); t.click();
    }
  });
})();
