// The dashboard's two charts, drawn with the vendored ECharts from the JSON
// element the server wrote: bars per line (the table below carries the same
// figures, and is what readers without JavaScript see) and the months.
(function () {
  'use strict';

  function init() {
    var el = document.getElementById('dash-data');
    if (!el || typeof window.echarts === 'undefined') return;
    var d;
    try { d = JSON.parse(el.textContent); } catch (e) { return; }
    var charts = [];
    var colors = ['#2b6cb0', '#c53030', '#805ad5', '#38a169', '#dd6b20', '#319795'];

    var lines = document.getElementById('dash-lines');
    if (lines && d.lines.length) {
      // Horizontal bars: long union names stay readable on a phone.
      lines.style.height = Math.max(160, d.lines.length * 30 + 60) + 'px';
      var c1 = window.echarts.init(lines, null, { renderer: 'svg' });
      c1.setOption({
        animation: false,
        color: colors,
        legend: { top: 0 },
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
        grid: { left: 8, right: 24, top: 30, bottom: 8, containLabel: true },
        xAxis: { type: 'value', minInterval: 1 },
        yAxis: { type: 'category', inverse: true, data: d.lines, axisLabel: { width: 110, overflow: 'truncate' } },
        series: d.bars.map(function (b) { return { type: 'bar', name: b[0], data: b[1], barMaxWidth: 14 }; })
      });
      charts.push(c1);
    }

    var trend = document.getElementById('dash-trend');
    if (trend && d.months.length) {
      trend.style.height = '260px';
      var c2 = window.echarts.init(trend, null, { renderer: 'svg' });
      c2.setOption({
        animation: false,
        color: colors,
        legend: { top: 0 },
        tooltip: { trigger: 'axis' },
        grid: { left: 8, right: 16, top: 30, bottom: 8, containLabel: true },
        xAxis: { type: 'category', data: d.months },
        yAxis: { type: 'value', minInterval: 1 },
        series: d.trends.map(function (t) { return { type: 'line', name: t[0], data: t[1], symbolSize: 6 }; })
      });
      charts.push(c2);
    }
    window.addEventListener('resize', function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
