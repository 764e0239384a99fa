// The report page's sections for files that are not `run`s, each drawn as its command shows it
// (kind_sections.hpp's objects): health's verdict and checks, a sweep's shapes and best, comm's
// nccl-tests table, a gemm or attention file's kernel rows.
#include "harness/report/report_page.hpp"

namespace tb::report {

const char* const kScriptKinds = R"JS(
  function fileName(f) { return f.origin + (f.device ? ' (' + f.device + ')' : ''); }
  // Where and when, as the file records it: such a file is read far from its machine too.
  function provenance(f) {
    var m = f.machine;
    return 'Measured ' + (m.utc_time || '-') + ' on ' + (m.host || '-') + ' by trainbench ' +
           ([m.trainbench_version, m.build_type, m.git_commit].filter(function (x) { return x; }).join(' ') || '-') +
           '; ' + libraries(m) + (m.load_avg_1m === null ? '' : '; load ' + fmt(m.load_avg_1m, 2) +
           (m.host_cpus > 0 ? ' / ' + m.host_cpus + ' CPUs' : '')) + '. Command: ' + (m.command_line || '-');
  }
  function noiseText(v) { return v === null ? '-' : fmt(100 * v, 2); }

  function drawHealth(files) {
    var sh = section('Health', 'trainbench health: each check against the SKU\'s sustained figures, clocks, noise and ' +
                     'the GPU\'s setup (docs/health.md).');
    files.forEach(function (f) {
      var h = f.health;
      if (!h) { sh.appendChild(el('p', fileName(f) + ': no verdict recorded in the file', 'best')); return; }
      sh.appendChild(el('p', fileName(f) + ': verdict ' + (h.verdict || '-') +
                        (h.verdict_of_measured ? ' (of what was measured: ' + h.verdict_of_measured + ')' : ''), 'best'));
      sh.appendChild(el('p', provenance(f), 'note'));
      table(sh, ['check', 'status', 'measured', 'reference', 'unit', 'detail'], h.checks.map(function (c) {
        return [c.id || '-', c.status || '-', c.measured === null ? '-' : sig4(c.measured),
                c.reference === null ? '-' : sig4(c.reference), c.unit || '', c.detail || ''];
      }), [false, false, true, true, false, false]);
    });
  }

  function drawSweeps(files) {
    var s = section('Sweeps: maximum achievable matmul FLOP/s',
                    'trainbench sweep: GEMM shapes, fastest first among those measured and verified. The best is what ' +
                    'this machine sustains at its best shape (mamf-finder\'s method), not the datasheet peak.');
    files.forEach(function (f) {
      var b = f.best;
      s.appendChild(el('p', fileName(f) + ': ' + (b ? 'best ' + b.shape + ' ' + f.dtype + ': ' + sig4(b.tflops) +
                        ' TFLOP/s' + (b.pct_of_peak > 0 ? ', ' + fmt(b.pct_of_peak, 1) + '% of ' + (f.sku || 'the') + ' peak' : '') +
                        ' (' + fmt(b.median_ms, 4) + ' ms)' : 'no shape measured') + '; ' + f.shapes_measured + ' of ' +
                        f.shapes.length + ' shapes measured', 'best'));
      s.appendChild(el('p', provenance(f), 'note'));
      table(s, ['m', 'n', 'k', 'layout', 'status', 'median ms', 'TFLOP/s', '% peak', 'noise %', 'samples', 'verified'],
            f.shapes.map(function (x) {
              return [String(x.m), String(x.n), String(x.k), x.layout || '-', x.status + (x.error ? ': ' + x.error : ''),
                      fmt(x.median_ms, 4), sig4(x.tflops), fmt(x.pct_of_peak, 1), noiseText(x.rel_noise), String(x.samples),
                      x.verified ? 'yes' : 'no'];
            }), [true, true, true, false, false, true, true, true, true, true, false]);
    });
    // The curve: the rate against the problem's size, one series per file.
    var series = files.map(function (f, i) {
      return { label: fileName(f), backgroundColor: color(i), borderColor: color(i), pointRadius: 3,
               data: f.shapes.filter(function (x) { return x.status === 'ok' && x.tflops > 0; })
                       .map(function (x) { return { x: x.m * x.n * x.k, y: x.tflops }; }) };
    });
    if (series.some(function (d) { return d.data.length; }))
      chart(s, 'chart-sweep', { type: 'scatter', data: { datasets: series },
            options: { scales: { x: { type: 'logarithmic', title: axisTitle('m x n x k') },
                                 y: { beginAtZero: true, title: axisTitle('TFLOP/s') } } } });
  }

  function drawComm(files) {
    var s = section('Collectives (comm)',
                    'trainbench comm in nccl-tests\' columns: algbw = bytes / time; busbw = algbw x the collective\'s ' +
                    'factor (2(n-1)/n for all-reduce), the figure to compare across rank counts and machines (docs/comm.md).');
    files.forEach(function (f) {
      s.appendChild(el('p', fileName(f) + ': ' + f.ranks + ' rank(s) on ' + f.hosts + ' host(s), backend ' + f.backend +
                        (f.library ? ' (' + f.library + ')' : '') + ', ' + f.dtype +
                        (f.avg_busbw_gb_s !== null ? '; average bus bandwidth ' + fmt(f.avg_busbw_gb_s, 2) + ' GB/s'
                         : f.ranks > 1 ? '' : '; one rank moves nothing between GPUs: busbw is not a link\'s bandwidth'),
                        'best'));
      s.appendChild(el('p', provenance(f), 'note'));
      table(s, ['size (B)', 'count (elements)', 'type', 'name', 'time (us)', 'algbw (GB/s)', 'busbw (GB/s)', '#wrong', 'status'],
            f.rows.map(function (r) {
              return [String(r.bytes), String(r.count), r.dtype, r.name, fmt(r.time_us, 2), fmt(r.algbw_gb_s, 2),
                      fmt(r.busbw_gb_s, 2), r.wrong === null ? 'N/A' : String(r.wrong),
                      r.status + (r.error ? ': ' + r.error : '')];
            }), [true, true, false, false, true, true, true, true, false]);
    });
    if (files.length < 2) return;
    // busbw side by side, matched by collective and size: the comparison nccl-tests' users make.
    var keys = [], byKey = {};
    files.forEach(function (f, i) {
      f.rows.forEach(function (r) {
        var key = r.op + ' ' + r.bytes;
        if (!(key in byKey)) { byKey[key] = { op: r.op, bytes: r.bytes, cells: files.map(function () { return null; }) }; keys.push(key); }
        byKey[key].cells[i] = r.busbw_gb_s;
      });
    });
    var sc = section('Bus bandwidth side by side', 'busbw (GB/s) of each comm file, by collective and size; - where a ' +
                     'file did not measure it.');
    table(sc, ['collective', 'size (B)'].concat(files.map(function (f) { return f.origin + ' busbw'; })),
          keys.map(function (k) {
            var e = byKey[k];
            return [e.op, String(e.bytes)].concat(e.cells.map(function (v) { return fmt(v, 2); }));
          }), [false, true].concat(files.map(function () { return true; })));
  }

  function drawKernelFiles(files) {
    var s = section('Single kernels (gemm, attention)',
                    'One row per kernel measured by `trainbench gemm` or `trainbench attention`: median time, its rate ' +
                    'and % of the SKU\'s peak, verified against an fp64 reference.');
    var rows = [];
    files.forEach(function (f) {
      f.rows.forEach(function (k) {
        rows.push([f.origin, f.command, f.device || '-', k.name, k.shape, k.dtype, k.status + (k.error ? ': ' + k.error : ''),
                   fmt(k.median_ms, 4), sig4(k.tflops), sig4(k.gbps), fmt(k.pct_of_peak, 1), k.verified ? 'yes' : 'no',
                   String(k.samples), k.algorithm || '-']);
      });
    });
    table(s, ['file', 'command', 'device', 'kernel', 'shape', 'dtype', 'status', 'median ms', 'TFLOP/s', 'GB/s', '% peak',
              'verified', 'samples', 'algorithm'], rows,
          [false, false, false, false, false, false, false, true, true, true, true, false, true, false]);
    files.forEach(function (f) { s.appendChild(el('p', f.origin + ': ' + provenance(f), 'note')); });
  }
)JS";

}  // namespace tb::report
