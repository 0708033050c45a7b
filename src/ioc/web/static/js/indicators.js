/* Trend and ranking charts of the indicators pages (ECharts, vendored). Each chart is a
   <div data-ind-chart="{labels, values, target?, bands?, unit}"> ; data-kind="bar" for rankings.
   No inline script: the page's CSP forbids it. */
(function () {
  "use strict";

  function cssVar(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name);
    return (v && v.trim()) || fallback;
  }

  function lineOption(d, colors) {
    var series = [{
      type: "line",
      data: d.values,
      smooth: true,
      symbolSize: 5,
      lineStyle: { width: 2, color: colors.primary },
      itemStyle: { color: colors.primary },
      areaStyle: { opacity: 0.08, color: colors.primary }
    }];
    if (d.target !== null && d.target !== undefined) {
      series[0].markLine = {
        silent: true,
        symbol: "none",
        lineStyle: { type: "dashed", color: colors.ok },
        label: { formatter: String(d.target), color: colors.text },
        data: [{ yAxis: d.target }]
      };
    }
    return {
      animation: false,
      grid: { left: 48, right: 24, top: 16, bottom: 28 },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + " " + (d.unit || ""); } },
      xAxis: { type: "category", data: d.labels, axisLabel: { color: colors.muted } },
      yAxis: { type: "value", scale: true, axisLabel: { color: colors.muted },
               splitLine: { lineStyle: { color: colors.border } } },
      series: series
    };
  }

  function barOption(d, colors) {
    var tone = { good: colors.ok, warning: colors.warn, bad: colors.bad, none: colors.muted };
    return {
      animation: false,
      grid: { left: 48, right: 16, top: 16, bottom: 16 },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + " " + (d.unit || ""); } },
      xAxis: { type: "category", data: d.labels, axisLabel: { show: false }, axisTick: { show: false } },
      yAxis: { type: "value", scale: true, axisLabel: { color: colors.muted },
               splitLine: { lineStyle: { color: colors.border } } },
      series: [{
        type: "bar",
        data: d.values.map(function (v, i) {
          return { value: v, itemStyle: { color: tone[(d.bands || [])[i]] || colors.primary } };
        })
      }]
    };
  }

  function draw() {
    if (!window.echarts) { return; }
    var colors = {
      primary: cssVar("--color-primary", "#1d4ed8"),
      ok: cssVar("--ok-accent", "#009e73"),
      warn: cssVar("--warn-accent", "#e69f00"),
      bad: cssVar("--bad-accent", "#d55e00"),
      text: cssVar("--color-text", "#111"),
      muted: cssVar("--color-text-muted", "#667"),
      border: cssVar("--color-border", "#dde")
    };
    document.querySelectorAll("[data-ind-chart]").forEach(function (el) {
      var data;
      try { data = JSON.parse(el.getAttribute("data-ind-chart")); } catch (e) { return; }
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(el.getAttribute("data-kind") === "bar" ? barOption(data, colors) : lineOption(data, colors), true);
      el.setAttribute("data-drawn", "1");
    });
  }

  window.addEventListener("resize", function () {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-ind-chart]").forEach(function (el) {
      var c = window.echarts.getInstanceByDom(el);
      if (c) { c.resize(); }
    });
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  document.addEventListener("ioc:themechange", draw);
})();
