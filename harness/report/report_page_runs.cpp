// The report page's drawing of `run` files side by side (report_data.hpp's object).
#include "harness/report/report_page.hpp"

namespace tb::report {

const char* const kScriptRuns = R"JS(
  // The `run` files, side by side: compare's same-workload rules hold among them.
  function drawRuns(data) {
    var runs = data.runs, kernels = data.kernels;
    // A run as compare's text names it: its letter, then its label ("A H100 (h100.json)").
    function runName(r) { return r.letter + ' ' + r.label; }
    var seen = {};
    kernels.forEach(function (k) { seen[k.name] = (seen[k.name] || 0) + 1; });
    var kernelLabels = kernels.map(function (k) { return seen[k.name] > 1 ? k.name + ' [' + k.shape + ']' : k.name; });

    // A partial run charts only what it measured: its step would miss kernels, so none is shown.
    runs.forEach(function (r) {
      var p = r.partial;
      if (!p) return;
      var missing = p.not_measured.map(function (k) {
        return k.name + (k.shape ? ' ' + k.shape : '') + ': ' + k.status + (k.error ? ' (' + k.error + ')' : '');
      });
      main.appendChild(el('p', 'PARTIAL: ' + runName(r) + ' ' +
                          (p.interrupted ? 'interrupted after ' + p.kernels_measured + ' of ' + p.kernels_total + ' kernels'
                                         : p.kernels_measured + ' of ' + p.kernels_total + ' kernels measured') +
                          '; no step/extrapolation. Not measured: ' + missing.join('; '), 'partial'));
    });

    // Runs at a glance.
    var s0 = section('Training steps: `trainbench run` files side by side');
    table(s0, ['run', 'device', 'SKU', 'model', 'dtype', 'peak TFLOP/s', 'peak TB/s', 'step ms', 'tokens/s per GPU', 'MFU %'],
          runs.map(function (r) {
            var st = r.step;
            return [runName(r), r.device, r.sku || '-', r.model || '-', r.dtype,
                    fmt(r.peak_tflops, 0) + (r.peak_dtype && r.peak_dtype !== r.dtype ? ' ' + r.peak_dtype : ''),
                    r.peak_memory_tb_s > 0 ? fmt(r.peak_memory_tb_s, 2) : '-',
                    st ? fmt(st.step_ms, 3) : '-', st ? fmt(st.tokens_per_s, 0) : '-', st ? fmt(100 * st.mfu, 1) : '-'];
          }), [false, false, false, false, false, true, true, true, true, true]);

    // Provenance: when, where and by which build and libraries each file was measured, and how
    // busy the host was, as the file records them; a shared report is read far from the machine.
    var sp = section('Provenance', 'As each results file records it (machine, workload). Load: the 1-minute load ' +
                     'average when the run started, over the host\'s logical CPUs. Workload: tensor parallelism, ' +
                     'micro-batch, sequence length, M micro-batches per optimizer step, data-parallel ranks.');
    function peaks(m) {
      var own = [m.measured_clock_mhz === null ? '' : 'this run ' + fmt(m.measured_clock_mhz, 0) + ' MHz',
                 m.measured_memory_tb_s === null ? '' : fmt(1000 * m.measured_memory_tb_s, 1) + ' GB/s']
        .filter(function (x) { return x; }).join(', ');
      return (m.peak_source || '-') + (own ? ' (' + own + ')' : '');
    }
    table(sp, ['run', 'measured (UTC)', 'git commit', 'build', 'host', 'CPU / OS', 'libraries', 'load', 'peaks from',
               'workload (tp, micro-batch, seq, M, dp)'],
          runs.map(function (r) {
            var m = r.machine, w = r.workload;
            return [runName(r), m.utc_time || '-', m.git_commit || '-',
                    [m.trainbench_version, m.build_type].filter(function (x) { return x; }).join(' ') || '-',
                    m.host || '-', [m.cpu, m.os].filter(function (x) { return x; }).join('; ') || '-', libraries(m),
                    m.load_avg_1m === null ? '-' : fmt(m.load_avg_1m, 2) + (m.host_cpus > 0 ? ' / ' + m.host_cpus + ' CPUs' : ''),
                    peaks(m),
                    'tp ' + w.tensor_parallel + ', micro-batch ' + w.micro_batch + ', seq ' + w.seq_len + ', M ' +
                      w.micro_batches + ', dp ' + w.data_parallel];
          }));
    sp.appendChild(el('p', 'Command lines: ' + runs.map(function (r) {
      return r.letter + ': ' + (r.machine.command_line || '-'); }).join('; '), 'note'));
    var shortRuns = runs.filter(function (r) { return r.unconverged.length; });
    if (shortRuns.length)
      sp.appendChild(el('p', 'Not converged (sampling stopped before the noise reached the target: these medians are ' +
                        'weaker evidence): ' + shortRuns.map(function (r) {
        return r.letter + ': ' + r.unconverged.map(function (k) {
          return k.name + (k.shape ? ' ' + k.shape : '') + ' (' +
                 (k.rel_noise === null ? 'noise unknown' : 'noise ' + fmt(100 * k.rel_noise, 2) + '%') +
                 (r.noise_target === null ? '' : ' > ' + fmt(100 * r.noise_target, 2) + '% target') + ' after ' +
                 k.samples + ' samples, stopped by ' + (k.stop_reason || 'unknown') + ')';
        }).join(', ');
      }).join('; '), 'note'));
    else
      sp.appendChild(el('p', 'Every measured kernel converged to its noise target.', 'note'));

    // 1. Per-kernel TFLOP/s against each SKU's peak.
    var s1 = section('Per-kernel TFLOP/s against peak',
                     'Bars: measured TFLOP/s (executed FLOPs / median time). Dashed lines: the SKU\'s dense datasheet peak. ' +
                     'Memory-bound kernels execute few FLOPs: their % of peak bandwidth is in the Kernels table.');
    var kds = [];
    runs.forEach(function (r, i) {
      kds.push({ type: 'bar', label: runName(r), backgroundColor: color(i),
                 data: kernels.map(function (k) { return k.cells[i] ? k.cells[i].tflops : null; }) });
    });
    runs.forEach(function (r, i) {
      if (!(r.peak_tflops > 0)) return;
      kds.push({ type: 'line', label: 'peak ' + runName(r), borderColor: color(i), borderDash: [6, 4], pointRadius: 0,
                 fill: false, data: kernels.map(function () { return r.peak_tflops; }) });
      // An fp8 step's GEMMs run against the fp8 peak (its MFU is judged against the bf16 one).
      if (r.peak_tflops_fp8 > 0)
        kds.push({ type: 'line', label: 'fp8 peak ' + runName(r), borderColor: color(i), borderDash: [2, 2], pointRadius: 0,
                   fill: false, data: kernels.map(function () { return r.peak_tflops_fp8; }) });
    });
    chart(s1, 'chart-kernels', { type: 'bar', data: { labels: kernelLabels, datasets: kds },
          options: { scales: { y: { beginAtZero: true, title: axisTitle('TFLOP/s') } } } });

    // 2. Roofline: arithmetic intensity against achieved rate, with compute and bandwidth roofs.
    var s2 = section('Roofline',
                     'Each point is a kernel: arithmetic intensity (FLOPs / minimum bytes moved) against achieved TFLOP/s. ' +
                     'Roofs: bandwidth (TB/s x FLOP/byte) up to the ridge point, then the compute peak. ' +
                     'Memory-bound kernels (no FLOPs counted) are charted against the bandwidth in the next section.');
    var xs = kernels.map(function (k) { return k.intensity; }).filter(function (x) { return x > 0; });
    var xmin = xs.length ? Math.min.apply(null, xs) / 2 : 0.1, xmax = xs.length ? Math.max.apply(null, xs) * 2 : 1000;
    runs.forEach(function (r) {  // widen the axis to show each SKU's ridge points
      if (r.peak_tflops > 0 && r.peak_memory_tb_s > 0) {
        var ridge = Math.max(r.peak_tflops, r.peak_tflops_fp8 || 0) / r.peak_memory_tb_s;
        xmin = Math.min(xmin, r.peak_tflops / r.peak_memory_tb_s / 2);
        xmax = Math.max(xmax, ridge * 2);
      }
    });
    var rds = [];
    runs.forEach(function (r, i) {
      rds.push({ type: 'scatter', label: runName(r), backgroundColor: color(i), borderColor: color(i), pointRadius: 4,
                 data: kernels.map(function (k, j) {
                   var c = k.cells[i];
                   return c && k.intensity > 0 && c.tflops > 0 ? { x: k.intensity, y: c.tflops, name: kernelLabels[j] } : null;
                 }).filter(function (p) { return p !== null; }) });
      if (r.peak_tflops > 0 && r.peak_memory_tb_s > 0) {
        var ridge = r.peak_tflops / r.peak_memory_tb_s;
        var lo = xmin, hi = xmax;
        rds.push({ type: 'scatter', showLine: true, label: 'bandwidth roof ' + runName(r), borderColor: color(i),
                   borderDash: [2, 3], pointRadius: 0, fill: false,
                   data: [{ x: lo, y: lo * r.peak_memory_tb_s }, { x: ridge, y: r.peak_tflops }] });
        rds.push({ type: 'scatter', showLine: true, label: 'compute roof ' + runName(r), borderColor: color(i),
                   borderDash: [8, 4], pointRadius: 0, fill: false,
                   data: [{ x: ridge, y: r.peak_tflops }, { x: hi, y: r.peak_tflops }] });
        if (r.peak_tflops_fp8 > 0) {
          // The bandwidth roof goes on up to the fp8 ridge, then the fp8 compute roof.
          var ridge8 = r.peak_tflops_fp8 / r.peak_memory_tb_s;
          rds.push({ type: 'scatter', showLine: true, label: 'fp8 roof ' + runName(r), borderColor: color(i),
                     borderDash: [2, 2], pointRadius: 0, fill: false,
                     data: [{ x: ridge, y: r.peak_tflops }, { x: ridge8, y: r.peak_tflops_fp8 }, { x: hi, y: r.peak_tflops_fp8 }] });
        }
      }
    });
    chart(s2, 'chart-roofline', { type: 'scatter', data: { datasets: rds },
          options: { scales: { x: { type: 'logarithmic', min: xmin, max: xmax,
                                    title: axisTitle('arithmetic intensity (FLOP/byte)') },
                               y: { type: 'logarithmic', title: axisTitle('achieved TFLOP/s') } },
                     plugins: { tooltip: { callbacks: { label: function (ctx) {
                       var p = ctx.raw || {};
                       return (p.name ? p.name + ': ' : ctx.dataset.label + ': ') + fmt(p.y, 1) + ' TFLOP/s at ' +
                              fmt(p.x, 1) + ' FLOP/B'; } } } } } });

    // 2b. Memory-bound kernels: they execute few FLOPs (none counted), so the roofline has no point
    // for them; their rate is bytes moved per second, against the bandwidth roof.
    var memoryKernels = [];
    kernels.forEach(function (k, j) { if (!(k.flops > 0) && k.bytes > 0) memoryKernels.push(j); });
    if (memoryKernels.length) {
      var s2b = section('Memory-bound kernels against peak bandwidth',
                        'Bars: measured GB/s (minimum bytes moved / median time). Dashed lines: the SKU\'s bandwidth ' +
                        '(the datasheet\'s; on a CPU, a STREAM triad measured with the run). These kernels have no point ' +
                        'on the roofline: their FLOPs are not counted.');
      var mds = [];
      runs.forEach(function (r, i) {
        mds.push({ type: 'bar', label: runName(r), backgroundColor: color(i),
                   data: memoryKernels.map(function (j) { var c = kernels[j].cells[i]; return c ? c.gbps : null; }) });
      });
      runs.forEach(function (r, i) {
        if (!(r.peak_memory_tb_s > 0)) return;
        mds.push({ type: 'line', label: 'bandwidth ' + runName(r), borderColor: color(i), borderDash: [6, 4], pointRadius: 0,
                   fill: false, data: memoryKernels.map(function () { return 1000 * r.peak_memory_tb_s; }) });
      });
      chart(s2b, 'chart-memory', { type: 'bar',
            data: { labels: memoryKernels.map(function (j) { return kernelLabels[j]; }), datasets: mds },
            options: { scales: { y: { beginAtZero: true, title: axisTitle('GB/s') } } } });
    }

    // 3. Step-time breakdown by kernel group.
    var s3 = section('Step-time breakdown',
                     'Milliseconds per training step on one GPU: calls per step x median, summed per kernel group.');
    chart(s3, 'chart-breakdown', { type: 'bar',
          data: { labels: runs.map(function (r) { return runName(r); }),
                  datasets: data.groups.map(function (g, gi) {
                    return { label: g, backgroundColor: color(gi), data: runs.map(function (r) { return r.group_ms[g]; }) };
                  }) },
          options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: axisTitle('ms per step') } } } });

    // 4. SKU comparison.
    var s4 = section('SKU comparison',
                     'Sustained TFLOP/s per GPU (the measured step, or executed FLOPs over the kernels\' time without one) ' +
                     'and MFU (model FLOP/s / peak).');
    chart(s4, 'chart-sku', { type: 'bar',
          data: { labels: runs.map(function (r) { return runName(r); }),
                  datasets: [
                    { label: 'sustained TFLOP/s (executed FLOPs)', yAxisID: 'y', backgroundColor: color(0),
                      data: runs.map(function (r) { return r.step ? r.step.sustained_tflops : r.kernels_tflops; }) },
                    { label: 'MFU %', yAxisID: 'y1', backgroundColor: color(1),
                      data: runs.map(function (r) { return r.step ? 100 * r.step.mfu : 0; }) }] },
          options: { scales: { y: { beginAtZero: true, position: 'left', title: axisTitle('TFLOP/s') },
                               y1: { beginAtZero: true, position: 'right', title: axisTitle('MFU %'),
                                     grid: { drawOnChartArea: false } } } } });

    // 5. Extrapolation.
    var anyStep = runs.some(function (r) { return r.step; });
    function siteAssumed(field) {
      return data.site && (data.site.assumed || []).indexOf(field) >= 0 ? ' (assumed)' : '';
    }
    var anyPartial = runs.some(function (r) { return r.partial; });
    var s5 = section(anyStep ? 'Extrapolation: training ' + data.target_model
                     : anyPartial ? 'Extrapolation: none (a partial run has no whole step; no other file measured one)'
                                  : 'Extrapolation: none (no file measured a training step; `trainbench run` does)',
                     'From each file\'s measured step throughput (not datasheet peaks). PF-days: 6*N*D. ' +
                     'Energy: power x GPU-hours x PUE (--pue, else --site\'s, else 1), ' +
                     'the power measured over the step (NVML) where there is one, else the TDP. Cost: a --gpu-hour-price quote, else the SKU config\'s rental price; with --electricity-price (or --site\'s tariff), the energy\'s cost and rental + electricity beside it.' +
                     // A figure the site's config assumes (the 500P's PUE and tariff are not the article's) says so.
                     (data.site ? ' Site ' + data.site.name + ': PUE ' + fmt(data.site.pue, 2) + siteAssumed('pue') +
                                  (data.site.electricity_price_per_kwh === null ? ''
                                     : ', electricity ' + data.site.electricity_price_per_kwh + ' ' + data.site.currency + ' per kWh' +
                                       siteAssumed('electricity_price_per_kwh')) +
                                  ' (--pue and --electricity-price replace them).' : ''));
    (data.notes || []).forEach(function (n) { s5.appendChild(el('p', 'Note: ' + n, 'note')); });
    var avail = runs.filter(function (r) { return r.extrapolation.available; });
    table(s5, ['run', 'model TFLOP/s per GPU (PaLM count, used)', 'PF-days', 'GPU-hours', 'GPUs', 'servers', 'days', 'energy MWh', 'cost'],
          runs.map(function (r) {
            var e = r.extrapolation;
            if (!e.available) return [runName(r), 'n/a: ' + e.why_not, '', '', '', '', '', '', ''];
            return [runName(r), sig4(e.sustained_tflops_per_gpu), e.pf_days_text, fmt(e.gpu_hours, 0), String(e.gpus),
                    e.servers === null ? '-' : e.servers + ' x ' + e.gpus_per_server,
                    sig(e.wall_days), e.energy_mwh === null ? 'n/a (no TDP)' :
                      sig(e.energy_mwh) + ' (' + fmt(e.power_w_per_gpu, 0) + ' W ' + (e.power_basis === 'TDP' ? 'TDP' : 'measured') +
                      (e.pue !== 1 ? ', PUE ' + fmt(e.pue, 2) : '') + ')',
                    // Money as the CLI prints it (report_data's *_text: "21.97 billion CNY").
                    (e.rental_cost === null ? 'n/a (no price)' : e.rental_cost_text) +
                      (e.electricity_cost === null ? '' : '; electricity ' + e.electricity_cost_text) +
                      // The total the "lowest rental + electricity" line ranks on.
                      (e.rental_and_electricity === null ? '' : '; rental + electricity ' + e.rental_and_electricity_text)];
          }), [false, true, true, true, true, true, true, true, true]);
    var laidOut = avail.filter(function (r) { return r.extrapolation.layout !== null; });
    if (laidOut.length)
      table(s5, ['run', 'layout (--layout auto: the fastest that fits the SKU memory)', 'scaling efficiency',
                 'memory per GPU'],
            laidOut.map(function (r) {
              var e = r.extrapolation;
              return [runName(r), e.layout, fmt(100 * e.scaling.efficiency, 1) + '%', fmt(100 * e.memory.used_fraction, 1) + '%'];
            }), [false, false, true, true]);
    var interrupted = avail.filter(function (r) { return r.extrapolation.interruptions !== null; });
    if (interrupted.length)
      table(s5, ['run', 'goodput (--mtbf-gpu-hours: time left after checkpoints, lost work and restarts; ' +
                 'days and GPU-hours above include it)'],
            interrupted.map(function (r) { return [runName(r), fmt(100 * r.extrapolation.interruptions.goodput, 1) + '%']; }),
            [false, true]);
    var bestLines = [['fewest GPU-hours', data.best.gpu_hours], ['least energy', data.best.energy],
                     [data.best.cost_what || 'lowest cost', data.best.cost]].filter(function (b) { return b[1] !== null; });
    var bestTexts = bestLines.map(function (b) { return b[0] + ': ' + runName(runs[b[1]]); }).concat(
        (data.best.ties || []).map(function (t) {
          return t.what + ': a tie between ' + t.runs.map(function (i) { return runs[i].letter; }).join(', ');
        }),
        data.best.cost_why_none ? [data.best.cost_what + ': none — ' + data.best.cost_why_none] : [],
        runs.filter(function (r) { return r.extrapolation.unusable; }).map(function (r) {
          return r.letter + ': no answer to buy: ' + r.extrapolation.unusable; }));
    if (bestTexts.length) s5.appendChild(el('p', bestTexts.join('; '), 'best'));
    if (avail.length) {
      // With a deadline each run needs its own GPU count (the answer); else each takes its own days.
      var byDeadline = data.deadline_days !== null;
      chart(s5, 'chart-extrapolation', { type: 'bar',
            data: { labels: avail.map(function (r) { return runName(r); }),
                    datasets: [{ label: (byDeadline ? 'GPUs to train ' : 'days to train ') + data.target_model,
                                 backgroundColor: color(2),
                                 data: avail.map(function (r) {
                                   return byDeadline ? r.extrapolation.gpus : r.extrapolation.wall_days; }) }] },
            options: { indexAxis: 'y', scales: { x: { beginAtZero: true, title: axisTitle(byDeadline ?
                       'GPUs to finish in ' + data.deadline_days + ' days' :
                       'days on ' + avail[0].extrapolation.gpus + ' GPUs') } } } });
    }

    // Every kernel, every run.
    var s6 = section('Kernels', 'Median time, TFLOP/s and % of peak per run.');
    var headers = ['kernel', 'shape', 'dtype', 'calls/step'];
    runs.forEach(function (r) { headers.push(r.letter + ' ms', r.letter + ' TFLOP/s|GB/s', r.letter + ' % peak'); });
    var numeric = headers.map(function (h, i) { return i >= 3; });
    table(s6, headers, kernels.map(function (k) {
      // Once per optimizer step (the Adam update, fp8 weight casts): its calls over the run's
      // micro-batches per optimizer step, as the step counts it, one figure per run where they differ.
      var shares = [], shared = true;
      k.cells.forEach(function (c) {
        if (!c) return;
        if (c.step_calls !== k.calls_per_step) shared = false;
        if (shares.indexOf(sig4(c.step_calls)) < 0) shares.push(sig4(c.step_calls));
      });
      var row = [k.name, k.shape, k.dtype,
                 shared ? String(k.calls_per_step) : shares.join(' | ') + ' (' + k.calls_per_step + ' per optimizer step)'];
      k.cells.forEach(function (c) {
        // A memory-bound kernel's rate is its bandwidth (its FLOPs are not counted).
        var rate = !c ? '-' : (k.flops > 0 || !(c.gbps > 0)) ? sig4(c.tflops) : sig4(c.gbps) + ' GB/s';
        row.push(c ? fmt(c.median_ms, 4) : '-', rate, c ? fmt(c.pct_of_peak, 1) : '-');
      });
      return row;
    }), numeric);
    s6.appendChild(el('p', runs.map(function (r) { return r.letter + ' = ' + r.label; }).join('; '), 'note'));
    // The medians and their noise are robust to a few slow samples, so those are said here.
    var spiky = [];
    kernels.forEach(function (k) {
      k.cells.forEach(function (c, i) {
        if (c && c.outliers > 0)
          spiky.push(runs[i].letter + ' ' + k.name + ' ' + k.shape + ': ' + c.outliers + ' of ' + c.samples);
      });
    });
    if (spiky.length)
      s6.appendChild(el('p', 'Outliers (samples slower than the median + 5 robust standard deviations: OS hiccups, ' +
                        'clock dips; the medians above are unaffected): ' + spiky.join('; '), 'note'));
  }
)JS";

}  // namespace tb::report
