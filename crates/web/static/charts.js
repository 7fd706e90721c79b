// thidua — the charts of the cluster and unit pages, drawn with the vendored Apache
// ECharts from the same JSON as the API. Each chart is an element with
// data-chart-url (the API address) and data-chart-kind: "members" (a bar per member on
// one indicator), "totals" (the cluster's figure over time) or "trend" (a unit's figure
// over time). The table beside each chart is its accessible version; when a chart cannot
// be drawn, it says so and the table remains. No inline script or style is needed.
"use strict";
(function () {
  const boxes = Array.from(document.querySelectorAll("[data-chart-url]"));
  if (boxes.length === 0) return;

  // Anything the content-security policy refused while drawing is noted on the page
  // (data-csp-violations), where the browser tests look for it: the charts must need
  // nothing beyond same-origin scripts.
  document.addEventListener("securitypolicyviolation", (e) => {
    const seen = document.body.dataset.cspViolations;
    document.body.dataset.cspViolations = (seen ? seen + " " : "") + e.violatedDirective;
  });

  // Vietnamese number style: "1.084", "85,01", "-3,5".
  function formatVi(n, digits) {
    const d = digits === undefined ? 2 : digits;
    const [whole, frac] = Math.abs(n).toFixed(d).replace(/\.?0+$/, "").split(".");
    const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    const text = grouped + (frac ? "," + frac : "");
    return (n < 0 && text !== "0" ? "-" : "") + text;
  }

  // Axis labels: big numbers in tỷ / triệu / nghìn, as reports say them ("1,2 tỷ").
  function compact(n) {
    const a = Math.abs(n);
    if (a >= 1e9) return formatVi(n / 1e9, 1) + " tỷ";
    if (a >= 1e6) return formatVi(n / 1e6, 1) + " triệu";
    if (a >= 1e4) return formatVi(n / 1e3, 1) + " nghìn";
    return formatVi(n);
  }

  function withMeasure(text, indicator) {
    if (!indicator || !indicator.measure) return text;
    return indicator.measure === "%" ? text + "%" : text + " " + indicator.measure;
  }

  const NONE = "không có số liệu";

  function valueAxis(indicator) {
    return {
      type: "value",
      name: indicator.measure || "",
      axisLabel: { formatter: (v) => compact(v) },
      splitLine: { lineStyle: { color: "#e3dcd8" } },
    };
  }

  // Tooltips drawn on the canvas (richText), not as HTML: nothing to style inline.
  function tooltip(formatter) {
    return { trigger: "axis", renderMode: "richText", confine: true, formatter: formatter };
  }

  function membersOption(data) {
    const ind = data.indicator;
    const members = data.members;
    const lines = [];
    // As the table says it: a rate's average is the cluster's own rate.
    const average = ind.aggregation === "ratio" ? "Tỷ lệ chung của cụm" : "Bình quân một thành viên";
    const inside = (text) => ({ position: "insideEndTop", formatter: text });
    if (data.average) {
      lines.push({ yAxis: data.average.value, name: average, label: inside(average + ": " + data.average.display) });
    }
    if (data.reaching && ind.value_type === "percent") {
      lines.push({ yAxis: data.reaching.threshold, name: "Ngưỡng", lineStyle: { type: "dotted" }, label: inside("Ngưỡng " + data.reaching.display + "%") });
    }
    return {
      color: ["#b3261e"],
      grid: { left: 64, right: 24, top: 40, bottom: 72 },
      tooltip: tooltip((items) => {
        const m = members[items[0].dataIndex];
        return m.short_name + ": " + (m.value === null ? NONE : withMeasure(m.display, ind));
      }),
      xAxis: {
        type: "category",
        data: members.map((m) => m.short_name),
        axisLabel: { interval: 0, rotate: members.length > 6 ? 30 : 0 },
      },
      yAxis: valueAxis(ind),
      series: [{
        type: "bar",
        name: ind.name,
        data: members.map((m) => m.value),
        label: { show: true, position: "top", formatter: (p) => (p.value === null || p.value === undefined ? "" : compact(p.value)) },
        markLine: lines.length ? { symbol: "none", silent: true, data: lines } : undefined,
      }],
    };
  }

  function lineOption(points, ind, name) {
    return {
      color: ["#0b57a4"],
      grid: { left: 64, right: 24, top: 40, bottom: 48 },
      tooltip: tooltip((items) => {
        const p = points[items[0].dataIndex];
        return p.period_label + ": " + (p.value === null ? NONE : withMeasure(p.display, ind));
      }),
      xAxis: { type: "category", data: points.map((p) => p.period_label), axisLabel: { interval: 0 } },
      yAxis: valueAxis(ind),
      series: [{
        type: "line",
        name: name,
        data: points.map((p) => p.value),
        connectNulls: false,
        symbolSize: 8,
        label: { show: points.length <= 12, formatter: (p) => (p.value === null || p.value === undefined ? "" : compact(p.value)) },
      }],
    };
  }

  function option(kind, data) {
    switch (kind) {
      case "members": return membersOption(data);
      case "totals": return lineOption(data.totals, data.indicator, "Toàn cụm");
      case "trend": return lineOption(data.series, data.indicator, data.name);
      default: throw new Error("unknown chart kind " + kind);
    }
  }

  function fail(box) {
    box.dataset.chartState = "error";
    box.textContent = "Không vẽ được biểu đồ; số liệu có trong bảng bên cạnh.";
  }

  const charts = [];
  for (const box of boxes) {
    if (typeof echarts === "undefined") { fail(box); continue; }
    fetch(box.dataset.chartUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
      .then((data) => {
        const chart = echarts.init(box, null, { renderer: "canvas", locale: "VI" });
        // No animation: the figures are shown as they are, at once (and the same on
        // every screen and in every test).
        chart.setOption(Object.assign({ animation: false, textStyle: { fontFamily: "Liberation Sans, Noto Sans, Arial, sans-serif" } }, option(box.dataset.chartKind, data)));
        charts.push(chart);
        box.dataset.chartState = "drawn";
      })
      .catch(() => fail(box));
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
