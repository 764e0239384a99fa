#include "harness/report/report_page.hpp"

namespace tb::report {

const char* const kPageCss = R"CSS(
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 0 24px 48px; color: #222; background: #fff; }
h1 { font-size: 1.6em; margin: 24px 0 4px; }
h2 { font-size: 1.2em; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.note { color: #666; font-size: 0.9em; margin: 4px 0; }
.best { font-weight: bold; margin: 6px 0; }
.chart { position: relative; height: 420px; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 0.85em; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; }
th { background: #f4f4f4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.partial { font-weight: bold; color: #b00; border: 2px solid #b00; padding: 6px 10px; margin: 12px 0; }
tr.slower td { background: #fde8e8; }
tr.faster td { background: #e8f5e9; }
)CSS";

const char* const kScriptHelpers = R"JS(
  var palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
                 '#bcbd22', '#17becf'];
  function color(i) { return palette[i % palette.length]; }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return '-';
    // Small values (a CPU's TFLOP/s) keep three significant digits instead of rounding to 0.
    if (v !== 0 && Math.abs(v) < Math.pow(10, -digits)) return Number(v).toPrecision(3);
    return Number(v).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  }
  // As the CLI's human_value: three significant digits below 100, whole numbers above.
  function sig(v) {
    if (v === null || v === undefined || !isFinite(v)) return '-';
    if (v === 0 || Math.abs(v) >= 100) return fmt(v, 0);
    return String(Number(Number(v).toPrecision(3)));
  }
  // Four significant digits for the figures runs are compared on: 0.1071 beside 0.1995, not 0.1
  // beside 0.2.
  function sig4(v) {
    if (v === null || v === undefined || !isFinite(v)) return '-';
    if (v === 0 || Math.abs(v) >= 1000) return fmt(v, 0);
    return String(Number(Number(v).toPrecision(4)));
  }
  var main = document.getElementById('tb-main');
  var expected = 0, rendered = 0;
  document.body.dataset.chartsExpected = '0';
  document.body.dataset.chartsRendered = '0';
  Chart.register({
    id: 'tbRenderedMarker',
    afterRender: function (chart) {
      if (chart.canvas.dataset.rendered === '1') return;
      chart.canvas.dataset.rendered = '1';
      rendered += 1;
      document.body.dataset.chartsRendered = String(rendered);
    }
  });
  Chart.defaults.animation = false;  // render at once: reproducible screenshots
  Chart.defaults.maintainAspectRatio = false;

  function section(title, note) {
    var s = el('section');
    s.appendChild(el('h2', title));
    if (note) s.appendChild(el('p', note, 'note'));
    main.appendChild(s);
    return s;
  }
  function chart(parent, id, config) {
    var wrap = el('div', null, 'chart');
    var canvas = document.createElement('canvas');
    canvas.id = id;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', id);
    wrap.appendChild(canvas);
    parent.appendChild(wrap);
    expected += 1;
    document.body.dataset.chartsExpected = String(expected);
    return new Chart(canvas, config);
  }
  // rowClass(i): a class for row i (a regression's row stands out), or none.
  function table(parent, headers, rows, numeric, rowClass) {
    var t = el('table'), head = el('tr');
    headers.forEach(function (h) { head.appendChild(el('th', h)); });
    t.appendChild(head);
    rows.forEach(function (row, ri) {
      var tr = el('tr', null, rowClass ? rowClass(ri) : null);
      row.forEach(function (cell, i) { tr.appendChild(el('td', cell, numeric && numeric[i] ? 'num' : null)); });
      t.appendChild(tr);
    });
    parent.appendChild(t);
  }
  function axisTitle(text) { return { display: true, text: text }; }
  function libraries(m) {
    return [['BLAS', m.blas_version], ['driver', m.driver_version], ['CUDA', m.cuda_runtime_version],
            ['cuBLAS', m.cublas_version], ['NCCL', m.nccl_version]]
      .filter(function (l) { return l[1]; }).map(function (l) { return l[0] + ' ' + l[1]; }).join(', ') || '-';
  }
)JS";

const char* const kScriptMain = R"JS(
  var page = JSON.parse(document.getElementById('tb-data').textContent);
  // A file of a kind without a section is named, not dropped in silence.
  page.not_drawn.forEach(function (line) { main.appendChild(el('p', 'Not drawn: ' + line, 'partial')); });
  if (page.gate) drawGate(page.gate);
  if (page.side_by_side) drawRuns(page.side_by_side);
  if (page.health.length) drawHealth(page.health);
  if (page.sweeps.length) drawSweeps(page.sweeps);
  if (page.comm.length) drawComm(page.comm);
  if (page.kernel_files.length) drawKernelFiles(page.kernel_files);
  document.body.dataset.ready = '1';
)JS";

std::string page_script() {
  return std::string("(function () {\n  'use strict';\n") + kScriptHelpers + kScriptRuns + kScriptKinds + kScriptGate +
         kScriptMain + "})();\n";
}

}  // namespace tb::report
