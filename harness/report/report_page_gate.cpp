// The report page's drawing of the regression gate (`report --baseline`): the JSON that
// `compare --baseline --json` prints (regression_json.hpp), as a page to publish.
#include "harness/report/report_page.hpp"

namespace tb::report {

const char* const kScriptGate = R"JS(
  // p-values span decades: 2/3432 must not print as 0.00.
  function pText(v) {
    if (v === null || v === undefined) return '-';
    return v < 0.001 ? Number(v).toExponential(2) : String(Number(Number(v).toPrecision(3)));
  }
  // One decimal of a percent, as the threshold is given: +20.1%, -0.1%, never 4.67e-2%.
  function changeText(v) {
    if (v === null || v === undefined || !isFinite(v)) return '-';
    var t = (100 * v).toFixed(1);
    return (Number(t) > 0 ? '+' : '') + (Number(t) === 0 ? '0.0' : t) + '%';
  }

  function drawGate(g) {
    var s = section('Regression gate: ' + g.verdict.replace(/_/g, ' '),
                    'trainbench compare --baseline\'s verdict (docs/compare.md): an item is slower where its change is ' +
                    'beyond the threshold and beyond the noise (its adjusted p at most alpha, or its noise bands apart); ' +
                    'unjudged where the measurements cannot tell.');
    s.appendChild(el('p', 'Verdict: ' + g.verdict + ' — ' + g.regressions + ' regression(s), ' + g.improvements +
                      ' improvement(s), ' + g.unjudged + ' unjudged of ' + g.items.length + ' item(s); ' +
                      '`compare --baseline` exits ' + g.exit_code + ' on it',
                      g.verdict === 'no_regression' ? 'best' : 'partial'));
    s.appendChild(el('p', 'Baseline: ' + g.baseline_runs + ' run(s) from ' + g.baseline.join(', ') + '. Current: ' +
                      g.current_runs + ' run(s) from ' + g.current.join(', ') + '.', 'note'));
    s.appendChild(el('p', 'Threshold ' + fmt(g.threshold_percent, 1) + '%, alpha ' + g.alpha + ', correction ' +
                      g.correction + ' over ' + g.family_size + ' item(s) judged by a p-value; rules used: ' +
                      (g.rules.join(', ') || '-') + '.', 'note'));
    if (g.environment.length) {
      var se = section('What changed on the machine', 'Over every run of each side: a busier host, another driver or ' +
                       'library, another timing rule, another kernel algorithm.');
      table(se, ['field', 'kernel', 'baseline', 'current'], g.environment.map(function (e) {
        return [e.field, e.kernel || '-', String(e.baseline), String(e.current)];
      }));
    }
    var si = section('Items', 'Change: current / baseline - 1 (where the runs decide, their Hodges-Lehmann estimate); ' +
                     'positive is slower. p: the rule\'s own; adjusted p: after the correction over the family.');
    var items = g.items;
    table(si, ['item', 'shape', 'dtype', 'baseline ms', 'current ms', 'change', 'rule', 'p', 'adjusted p', 'status',
               'reason'],
          items.map(function (i) {
            return [i.name, i.shape || '-', i.dtype || '-', fmt(i.baseline_ms, 4), fmt(i.current_ms, 4), changeText(i.change),
                    i.rule, pText(i.p_value), pText(i.adjusted_p_value), i.verdict, i.reason || ''];
          }), [false, false, false, true, true, true, false, true, true, false, false],
          function (ri) {
            var v = items[ri].verdict;
            return v === 'slower' || v === 'failed' ? 'slower' : v === 'faster' ? 'faster' : null;
          });
    if (items.length)
      chart(si, 'chart-gate-change', { type: 'bar',
            data: { labels: items.map(function (i) { return i.shape ? i.name + ' [' + i.shape + ']' : i.name; }),
                    datasets: [{ label: 'change % (positive: slower)',
                                 backgroundColor: items.map(function (i) {
                                   return i.verdict === 'slower' || i.verdict === 'failed' ? '#d62728'
                                          : i.verdict === 'faster' ? '#2ca02c' : '#7f7f7f'; }),
                                 data: items.map(function (i) { return 100 * i.change; }) }] },
            options: { indexAxis: 'y', scales: { x: { title: axisTitle('change % (threshold ' +
                                                        fmt(g.threshold_percent, 1) + '%)') },
                                                 y: { ticks: { autoSkip: false } } } } });
    if (g.notes.length) {
      var sn = section('Notes');
      g.notes.forEach(function (n) { sn.appendChild(el('p', n, 'note')); });
    }
  }
)JS";

}  // namespace tb::report
