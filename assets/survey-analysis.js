// The analysis page: draws each question's bars with the vendored ECharts
// (data from the JSON element the server wrote; the tables beside the charts
// carry the same figures for readers without JavaScript), and shows a
// "preparing" notice while an export is built: the export answers with a
// cookie carrying the token the link sent, which ends the notice.
(function () {
  'use strict';

  function drawCharts() {
    var data = document.getElementById('analysis-charts');
    if (!data || typeof window.echarts === 'undefined') return;
    var charts;
    try { charts = JSON.parse(data.textContent); } catch (e) { return; }
    var drawn = [];
    charts.forEach(function (c) {
      var el = document.getElementById(c.id);
      if (!el) return;
      // Horizontal bars, one row per choice: long Chinese labels stay
      // readable on a phone. Height follows the number of bars.
      el.style.height = Math.max(120, c.labels.length * 30 + 30) + 'px';
      var chart = window.echarts.init(el, null, { renderer: 'svg' });
      chart.setOption({
        animation: false,
        grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
        tooltip: {
          trigger: 'axis', axisPointer: { type: 'shadow' },
          formatter: function (p) {
            var i = p[0].dataIndex;
            return c.labels[i] + '<br>' + c.values[i] + ' (' + c.percents[i] + '%)';
          }
        },
        // No value axis labels: each bar carries its percentage, the table its count.
        xAxis: { type: 'value', minInterval: 1, axisLabel: { show: false }, splitLine: { lineStyle: { color: '#eee' } } },
        yAxis: {
          type: 'category', inverse: true, data: c.labels,
          axisLabel: { width: 120, overflow: 'truncate' }
        },
        series: [{
          type: 'bar', data: c.values, itemStyle: { color: '#2b6cb0' }, barMaxWidth: 22,
          label: {
            show: true, position: 'right',
            formatter: function (p) { return c.percents[p.dataIndex] + '%'; }
          }
        }]
      });
      drawn.push(chart);
    });
    window.addEventListener('resize', function () {
      drawn.forEach(function (ch) { ch.resize(); });
    });
  }

  function readCookie(name) {
    var parts = document.cookie.split(';');
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].replace(/^\s+/, '').split('=');
      if (kv[0] === name) return kv[1];
    }
    return null;
  }

  function watchDownloads() {
    var notice = document.querySelector('[data-preparing]');
    var links = document.querySelectorAll('[data-download]');
    if (!notice) return;
    Array.prototype.forEach.call(links, function (a) {
      a.addEventListener('click', function () {
        var token = String(Date.now()) + String(Math.floor(Math.random() * 1e6));
        var href = a.getAttribute('href').replace(/([?&])dl=[^&]*&?/, '$1');
        a.setAttribute('href', href + (href.indexOf('?') < 0 ? '?' : '&') + 'dl=' + token);
        notice.hidden = false;
        var started = Date.now();
        var timer = setInterval(function () {
          if (readCookie('qt_download') === token || Date.now() - started > 600000) {
            notice.hidden = true;
            clearInterval(timer);
          }
        }, 500);
      });
    });
  }

  function start() { drawCharts(); watchDownloads(); }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
