// Trend charts of the leader's report page (briefings module). The series come from a JSON
// script element written by the server; the page's CSP forbids inline scripts.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("briefing-chart");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var css = getComputedStyle(document.documentElement);
    var font = css.getPropertyValue("--font-sans") || "Be Vietnam Pro, sans-serif";
    var blue = "#0072b2", green = "#009e73", vermillion = "#d55e00";
    var base = {
      textStyle: { fontFamily: font },
      grid: { left: 48, right: 16, top: 36, bottom: 32 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.labels, axisTick: { alignWithLabel: true } },
    };
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      var option;
      if (el.dataset.chart === "volume") {
        option = Object.assign({}, base, {
          legend: { top: 0 },
          yAxis: { type: "value", minInterval: 1 },
          series: [
            { name: data.names.received, type: "bar", data: data.received, itemStyle: { color: blue } },
            { name: data.names.resolved, type: "bar", data: data.resolved, itemStyle: { color: green } },
          ],
        });
      } else {
        option = Object.assign({}, base, {
          legend: { top: 0 },
          yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value} %" } },
          series: [
            {
              name: data.names.on_time, type: "line", data: data.on_time, connectNulls: false,
              symbolSize: 7, lineStyle: { width: 3, color: blue }, itemStyle: { color: blue },
              markLine: {
                silent: true, symbol: "none",
                lineStyle: { type: "dashed", color: vermillion },
                label: { formatter: data.names.target + " 90 %", position: "insideEndTop" },
                data: [{ yAxis: 90 }],
              },
            },
          ],
        });
      }
      chart.setOption(option);
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
