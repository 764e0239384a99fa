#include "harness/health/health_check.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/timing/sample_stats.hpp"

namespace tb::health {

const char* to_string(Status s) {
  switch (s) {
    case Status::Info: return "info";
    case Status::Pass: return "pass";
    case Status::Suspect: return "suspect";
    case Status::Fail: return "fail";
  }
  return "?";
}

namespace {

using results::KernelResult;

bool usable(const KernelResult& k) { return k.status == "ok" && k.verified; }

// Noise, spikes and outliers of the CPU backend's samples: the host's other work, not a fault.
bool timing_unjudged(const Inputs& in) { return in.peaks_estimated || in.cpu_backend; }

const KernelResult* best_by(const std::vector<KernelResult>& ks, double KernelResult::*field) {
  const KernelResult* best = nullptr;
  for (const auto& k : ks)
    if (usable(k) && (!best || k.*field > best->*field)) best = &k;
  return best;
}

std::vector<const KernelResult*> all_of(const Inputs& in) {
  std::vector<const KernelResult*> all;
  for (const auto& k : in.gemms) all.push_back(&k);
  for (const auto& k : in.streaming) all.push_back(&k);
  return all;
}

Check results_check(const Inputs& in) {
  Check c = make_check("results", Status::Pass, "");
  std::vector<std::string> problems, unmeasured;
  for (const auto* k : all_of(in)) {
    if (usable(*k)) continue;
    // Ctrl-C is no fault of the machine: what it stopped is unmeasured, not failed. (A kernel
    // skipped for another reason, a lost device, is a failure.)
    if (k->status == "interrupted" ||
        (k->status == "skipped" && k->error.find("interrupted") != std::string::npos)) {
      unmeasured.push_back(k->name);
      continue;
    }
    const std::string why = k->status == "ok" ? "not verified" : k->status + (k->error.empty() ? "" : ": " + k->error);
    problems.push_back(fmt::format("{} {} {}: {}", k->name, k->shape, k->dtype, why));
  }
  if (!problems.empty()) {
    c.status = Status::Fail;
    c.detail = fmt::format("{} of {} kernels did not run cleanly: {}", problems.size(), all_of(in).size(),
                           fmt::join(problems, "; "));
  } else if (!unmeasured.empty()) {
    c.status = Status::Info;
    c.detail = fmt::format("{} of {} kernels not measured to the end (interrupted): {}; the rest matched their "
                           "references",
                           unmeasured.size(), all_of(in).size(), fmt::join(unmeasured, ", "));
  } else {
    c.detail = fmt::format("all {} kernels ran and matched their references", all_of(in).size());
  }
  return c;
}

// The CPU judged against its remembered peaks (no datasheet): the worst relative noise of its
// measured kernels, which other work on the cores spreads.
double worst_known_noise(const Inputs& in) {
  double worst = 0;
  for (const auto* k : all_of(in))
    if (usable(*k)) worst = std::max(worst, timing::known_rel_noise(k->stats).value_or(0.0));
  return worst;
}

// Why a CPU reads below the peak an earlier run measured on it. Most often a busy host: other
// processes on its cores, seen in the load average when the check started or, for load that began
// later (the 1-minute average lags), in its kernels' noise. Else the machine itself is slower now.
bool cpu_host_busy(const Inputs& in, const Thresholds& t) {
  return host_busy(in.load_avg_1m, in.host_cpus) || worst_known_noise(in) > t.max_rel_noise;
}

std::string cpu_shortfall_reason(const Inputs& in, const Thresholds& t) {
  if (host_busy(in.load_avg_1m, in.host_cpus))
    return fmt::format("busy host: load average {:.2f} over {} logical CPUs when the check started; rerun on a "
                       "quiet host before suspecting the hardware",
                       *in.load_avg_1m, in.host_cpus);
  if (const double noise = worst_known_noise(in); noise > t.max_rel_noise)
    return fmt::format("busy host: its kernels' noise reached {:.0f}% (above --max-noise {:.0f}%): other work on "
                       "the cores; rerun on a quiet host before suspecting the hardware",
                       100 * noise, 100 * t.max_rel_noise);
  return "the host was quiet: throttled or slower cores or memory than when that peak was measured (or another "
         "machine under this CPU's name and thread count)";
}

// A CPU figure against its own best (c.reference): suspect below t.cpu_vs_remembered on a quiet
// host; on a busy one a shortfall is said with its reason and not judged.
void judge_against_own_best(Check& c, const Inputs& in, const Thresholds& t, const std::string& what) {
  const bool below = c.measured < t.cpu_vs_remembered * c.reference;
  const bool busy = below && cpu_host_busy(in, t);
  c.status = !below ? Status::Pass : busy ? Status::Info : Status::Suspect;
  c.left_unjudged = busy;
  c.detail = fmt::format("{}; threshold {:.0f}% (a CPU's own best moves by a third with load and turbo){}", what,
                         100 * t.cpu_vs_remembered,
                         !below ? "" : (busy ? "; not judged: " : "; ") + cpu_shortfall_reason(in, t));
}

Check gemm_check(const Inputs& in, const Thresholds& t) {
  Check c = make_check("gemm", Status::Info, "TFLOP/s");
  c.judges_performance = true;
  const KernelResult* best = best_by(in.gemms, &KernelResult::tflops);
  if (!best) {
    c.detail = "no GEMM was measured to the end";
    return c;
  }
  c.measured = best->tflops;
  const std::string what = fmt::format("best GEMM {} {}: {:.4g} TFLOP/s", best->shape, best->dtype, best->tflops);
  const bool datasheet = in.sku && !in.peaks_estimated;
  const DType dtype = parse_dtype(in.gemm_dtype, "health: gemm dtype");
  if (datasheet && in.sku->sustained_gemm_tflops.count(dtype)) {
    c.reference = in.sku->sustained_gemm_tflops.at(dtype);
    const double ratio = c.measured / c.reference;
    c.status = ratio >= t.gemm_vs_sustained ? Status::Pass : Status::Suspect;
    c.detail = fmt::format("{} = {:.0f}% of the {:.0f} that healthy {} parts sustain ({}); threshold {:.0f}% "
                           "(--gemm-threshold)",
                           what,
                           100 * ratio, c.reference, in.sku->name, in.sku->sustained_source,
                           100 * t.gemm_vs_sustained);
  } else if (datasheet && in.sku->peak_tflops_or_zero(dtype) > 0) {
    const double peak = in.sku->peak_tflops_or_zero(dtype);
    c.reference = t.gemm_vs_peak * peak;
    const double ratio = c.measured / peak;
    c.status = ratio >= t.gemm_vs_peak ? Status::Pass : Status::Suspect;
    c.detail = fmt::format(
        "{} = {:.0f}% of the {} datasheet peak ({:.0f}); no sustained figure for this SKU and dtype, so judged "
        "against {:.0f}% of peak (--gemm-peak-threshold; healthy parts sustain 80-87%)",
        what, 100 * ratio, in.sku->name, peak, 100 * t.gemm_vs_peak);
  } else if (in.peaks_estimated && in.remembered && in.remembered->gemm_far_above > 0) {
    // More than kUnbelievablePeakRatio below what health measured here before: no busy host
    // explains that, and the cache keeps the earlier best so that later runs say it too.
    c.reference = in.remembered->gemm_far_above;
    c.status = Status::Suspect;
    c.detail = fmt::format("{} is {:.0f}x below the best {} GEMM health measured on this machine ({:.4g} TFLOP/s; {}), "
                           "more than a busy host explains: a BLAS on one thread, cores offline or another machine "
                           "under this CPU's name (delete the file if the machine changed)",
                           what, c.reference / c.measured, best->dtype, c.reference, in.remembered->file);
  } else if (in.peaks_estimated && in.remembered && in.remembered->gemm_tflops > 0) {
    // The best this CPU's battery reached here before.
    c.reference = in.remembered->gemm_tflops;
    judge_against_own_best(c, in, t, fmt::format("{} = {:.0f}% of the best {} GEMM health measured on this machine "
                                                 "({:.4g} TFLOP/s; {})",
                                                 what, 100 * c.measured / c.reference, best->dtype, c.reference,
                                                 in.remembered->file));
  } else {
    // A CPU's first health run after another command remembered its triad: the GEMM is not judged.
    c.left_unjudged = in.peaks_estimated && in.sku;
    c.detail = what + (in.sku ? fmt::format(" = {:.0f}% of the estimated peak: shown, not judged (no peak remembered "
                                            "from an earlier run on this machine)",
                                            best->pct_of_peak)
                              : ": no SKU config for this device, so nothing to judge against (--sku NAME)");
  }
  return c;
}

Check bandwidth_check(const Inputs& in, const Thresholds& t) {
  Check c = make_check("memory_bandwidth", Status::Info, "GB/s");
  c.judges_performance = true;
  const KernelResult* best = best_by(in.streaming, &KernelResult::gbps);
  if (!best) {
    c.detail = "no memory-bound op was measured";
    return c;
  }
  c.measured = best->gbps;
  const std::string what = fmt::format("{} {} {}: {:.4g} GB/s", best->name, best->shape, best->dtype, best->gbps);
  const double reference = in.sku ? in.sku->memory_bandwidth_tb_s * 1000 : 0;
  if (in.sku && !in.peaks_estimated && reference > 0) {
    c.reference = reference;
    const double ratio = c.measured / reference;
    c.status = ratio >= t.bandwidth_vs_datasheet ? Status::Pass : Status::Suspect;
    c.detail = fmt::format("{} = {:.0f}% of the {} datasheet {:.0f} GB/s; threshold {:.0f}%", what, 100 * ratio,
                           in.sku->name, reference, 100 * t.bandwidth_vs_datasheet);
  } else if (in.peaks_estimated && in.remembered && in.remembered->stream_gbps > 0) {
    // A CPU's highest STREAM triad measured on it.
    c.reference = in.remembered->stream_gbps;
    judge_against_own_best(c, in, t, fmt::format("{} = {:.0f}% of the highest STREAM triad measured on this machine "
                                                 "({:.0f} GB/s; {})",
                                                 what, 100 * c.measured / c.reference, c.reference,
                                                 in.remembered->file));
  } else if (reference > 0) {
    c.reference = reference;
    c.left_unjudged = in.peaks_estimated;
    c.detail = fmt::format("{} = {:.0f}% of this machine's own bandwidth estimate ({:.0f} GB/s): shown, not judged "
                           "(no bandwidth remembered from an earlier run on this machine)",
                           what, 100 * c.measured / reference, reference);
  } else {
    c.detail = what + ": no bandwidth reference for this device, so nothing to judge against";
  }
  return c;
}

// A GPU that fell under the throttle threshold is suspect whether its samples were waited out
// (discarded and retaken, as nvbench does) or kept because the wait ran out: either way it
// throttled under load, which a healthy part with working cooling and power does not.
Check clocks_check(const Inputs& in) {
  Check c = make_check("clocks", Status::Info, "MHz");
  double lo = 0, hi = 0, power = 0;
  bool any = false;
  std::vector<std::string> throttled;
  std::string reasons;
  for (const auto* k : all_of(in)) {
    if (!k->clocks) continue;
    const auto& ck = *k->clocks;
    lo = any ? std::min(lo, ck.sm_clock_mhz_min) : ck.sm_clock_mhz_min;
    hi = any ? std::max(hi, ck.sm_clock_mhz_max) : ck.sm_clock_mhz_max;
    power = std::max(power, ck.power_w_max);
    any = true;
    if (!ck.clock_dropped && ck.throttled_samples_discarded == 0) continue;
    std::vector<std::string> how;
    if (ck.throttled_samples_discarded > 0)
      how.push_back(fmt::format("{} throttled sample{} discarded and retaken", ck.throttled_samples_discarded,
                                ck.throttled_samples_discarded == 1 ? "" : "s"));
    if (ck.clock_dropped) how.push_back("throttled samples kept: the wait for recovery ran out");
    throttled.push_back(fmt::format("{} {} ({})", k->name, k->shape, fmt::join(how, "; ")));
    if (reasons.empty()) reasons = ck.throttle_reasons;
  }
  if (!any) {
    c.detail = "no clock readings (no NVML here): throttling cannot be checked";
    return c;
  }
  c.measured = lo;
  c.reference = hi;
  if (!throttled.empty()) {
    c.status = Status::Suspect;
    c.detail = fmt::format("SM clock fell below {:g}% of its maximum during {} (kept samples' range {:.0f}-{:.0f} "
                           "MHz{}); check cooling, power capping and application clocks",
                           100 * in.throttle_threshold, fmt::join(throttled, ", "), lo, hi,
                           reasons.empty() ? "" : "; throttle reasons: " + reasons);
  } else {
    c.status = Status::Pass;
    c.detail = fmt::format("SM clock stayed within {:.0f}-{:.0f} MHz{}", lo, hi,
                           power > 0 ? fmt::format(", power up to {:.0f} W", power) : "");
  }
  return c;
}

// Shown, not judged: the load is the machine's neighbours, not a faulty part, and a CI runner
// measuring itself beside its other tests would fail on it. But a slow night has its reason.
Check load_check(const Inputs& in) {
  Check c = make_check("load", Status::Info, "");
  if (!in.load_avg_1m || in.host_cpus <= 0) {
    c.detail = "host load unknown (no /proc/loadavg)";
    return c;
  }
  c.measured = *in.load_avg_1m;
  c.reference = kBusyHostLoadPerCpu * in.host_cpus;
  c.detail = host_busy(in.load_avg_1m, in.host_cpus)
                 ? fmt::format("host BUSY: load average {:.2f} over {} logical CPUs when the check started; other "
                               "processes compete with the measurement, so its figures understate the machine",
                               *in.load_avg_1m, in.host_cpus)
                 : fmt::format("host quiet: load average {:.2f} over {} logical CPUs", *in.load_avg_1m, in.host_cpus);
  return c;
}

Check noise_check(const Inputs& in, const Thresholds& t) {
  Check c = make_check("noise", Status::Info, "%");
  const KernelResult* worst = nullptr;
  // A kernel sampled once has unknown noise: the worst there is, not 0%.
  auto noise = [](const KernelResult& k) { return timing::known_rel_noise(k.stats).value_or(1e300); };
  for (const auto* k : all_of(in))
    if (usable(*k) && (!worst || noise(*k) > noise(*worst))) worst = k;
  if (!worst) {
    c.detail = "nothing was measured";
    return c;
  }
  if (!timing::known_rel_noise(worst->stats)) {
    c.detail = fmt::format("{} {} was sampled once: its noise is unknown; give a longer --max-time{}", worst->name,
                           worst->shape, timing_unjudged(in) ? " (shown, not judged on a CPU)" : "");
    return c;
  }
  c.measured = 100 * worst->stats.rel_noise;
  c.reference = 100 * t.max_rel_noise;
  if (timing_unjudged(in)) {
    // The CPU pseudo-device shares its cores with everything else on the machine: its noise says
    // how busy the machine is, not whether a part is faulty. Shown, not judged (like its peaks).
    c.detail = fmt::format("worst relative noise of a median: {:.2f}% ({} {}): shown, not judged on a CPU",
                           c.measured, worst->name, worst->shape);
    return c;
  }
  const bool noisy = worst->stats.rel_noise > t.max_rel_noise;
  c.status = noisy ? Status::Suspect : Status::Pass;
  c.detail = fmt::format("worst relative noise of a median: {:.2f}% ({} {}){}", c.measured, worst->name, worst->shape,
                         noisy ? fmt::format(", above {:.0f}%: other work on the device, or unstable clocks",
                                             c.reference)
                               : "");
  return c;
}

// A kernel's slow side, judged two ways, each its own check so that its measured and reference
// figures are those of the criterion that decided it and of the kernel that criterion picked:
// `spikes`, how far the slowest tenth sits above the median; `outliers`, how many samples were
// outliers. (One check reporting the worst tail while an outlier count made it suspect read
// "measured 0.8, reference 10, suspect".)
double tail_of(const KernelResult& k) { return k.stats.p90_ms / k.stats.median_ms - 1; }

// A kernel with a spread to judge: two samples or more, and a median to divide by.
bool has_spread(const KernelResult& k) { return usable(k) && k.stats.samples >= 2 && k.stats.median_ms > 0; }

std::string spikes_text(const KernelResult& k) {
  return fmt::format("{} {}: p90 {:.0f}% above the median, {} of {} samples outliers", k.name, k.shape,
                     100 * tail_of(k), k.stats.outliers, k.stats.samples);
}

// What the robust noise no longer shows: a GPU whose clocks dip now and then runs some samples
// slow while the median, and its noise, stay put. Judged on the slow tenth directly.
Check spikes_check(const Inputs& in, const Thresholds& t) {
  Check c = make_check("spikes", Status::Info, "%");
  c.reference = 100 * t.max_tail;
  const KernelResult* worst = nullptr;
  std::vector<std::string> suspects;
  for (const auto* k : all_of(in)) {
    if (!has_spread(*k)) continue;
    if (tail_of(*k) > t.max_tail) suspects.push_back(spikes_text(*k));
    if (!worst || tail_of(*k) > tail_of(*worst)) worst = k;
  }
  if (!worst) {
    c.detail = "no kernel was sampled twice or more: spikes cannot be judged";
    return c;
  }
  c.measured = 100 * tail_of(*worst);
  if (timing_unjudged(in)) {
    // As with noise: a CPU's slow samples are its neighbours' work, not a faulty part.
    c.detail = fmt::format("slowest tail: {}: shown, not judged on a CPU", spikes_text(*worst));
    return c;
  }
  if (suspects.empty()) {
    c.status = Status::Pass;
    c.detail = fmt::format("no spikes: slowest tail {}", spikes_text(*worst));
    return c;
  }
  c.status = Status::Suspect;
  c.detail = fmt::format("spikes (p90 more than {:.0f}% above the median): {}; intermittent clock dips or other work "
                         "on the device",
                         c.reference, fmt::join(suspects, "; "));
  return c;
}

// A kernel's outliers as the `outliers` check counts them: their share of its samples, where they
// are a pattern and cost something (two or more, one event being no pattern; the slowest at
// least max_tail above the median, smaller ones being unusual but cheap); else 0.
double counted_outlier_fraction(const KernelResult& k, const Thresholds& t) {
  const auto& s = k.stats;
  const bool costly = s.max_ms >= (1 + t.max_tail) * s.median_ms;
  if (s.outliers < 2 || !costly) return 0;
  return static_cast<double>(s.outliers) / static_cast<double>(s.samples);
}

std::string outliers_text(const KernelResult& k) {
  const auto& s = k.stats;
  return fmt::format("{} {}: {} of {} samples outliers ({:.1f}%), the slowest {:.0f}% above the median", k.name,
                     k.shape, s.outliers, s.samples, 100.0 * static_cast<double>(s.outliers) / static_cast<double>(s.samples),
                     100 * (s.max_ms / s.median_ms - 1));
}

// Spikes rarer than a tenth leave p90 alone: 5% of the samples at 3x the median pass `spikes`,
// and are caught here by their count.
Check outliers_check(const Inputs& in, const Thresholds& t) {
  Check c = make_check("outliers", Status::Info, "%");
  c.reference = 100 * t.max_outlier_fraction;
  const KernelResult* worst = nullptr;  // the largest counted fraction: what decides
  const KernelResult* most = nullptr;   // the most outliers, counted or not: what a pass names
  std::vector<std::string> suspects;
  for (const auto* k : all_of(in)) {
    if (!has_spread(*k)) continue;
    const double fraction = counted_outlier_fraction(*k, t);
    if (fraction > t.max_outlier_fraction) suspects.push_back(outliers_text(*k));
    if (!worst || fraction > counted_outlier_fraction(*worst, t)) worst = k;
    if (!most || k->stats.outliers > most->stats.outliers) most = k;
  }
  if (!worst) {
    c.detail = "no kernel was sampled twice or more: outliers cannot be judged";
    return c;
  }
  c.measured = 100 * counted_outlier_fraction(*worst, t);
  const std::string rule = fmt::format("outliers (slower than the median + {:g} robust sigmas) count where a kernel "
                                       "has two or more and the slowest is {:.0f}% or more above its median",
                                       timing::kOutlierSigmas, 100 * t.max_tail);
  const std::string largest = c.measured > 0    ? fmt::format("most: {}", outliers_text(*worst))
                              : most->stats.outliers > 0 ? fmt::format("none counts ({}: {})", rule, outliers_text(*most))
                                                         : std::string("none");
  if (timing_unjudged(in)) {
    c.detail = fmt::format("outliers: {}: shown, not judged on a CPU", largest);
    return c;
  }
  if (suspects.empty()) {
    c.status = Status::Pass;
    c.detail = fmt::format("outliers in at most {:.0f}% of any kernel's samples: {}", c.reference, largest);
    return c;
  }
  c.status = Status::Suspect;
  c.detail = fmt::format("outliers in more than {:.0f}% of the samples ({}): {}; intermittent clock dips or other "
                         "work on the device",
                         c.reference, rule, fmt::join(suspects, "; "));
  return c;
}

}  // namespace

bool host_busy(std::optional<double> load_avg_1m, int host_cpus) {
  return load_avg_1m && host_cpus > 0 && *load_avg_1m >= kBusyHostLoadPerCpu * host_cpus;
}

double best_gemm_tflops(const Inputs& in) {
  const KernelResult* best = best_by(in.gemms, &KernelResult::tflops);
  return best ? best->tflops : 0;
}

double best_stream_gbps(const Inputs& in) {
  const KernelResult* best = best_by(in.streaming, &KernelResult::gbps);
  return best ? best->gbps : 0;
}

Report evaluate(const Inputs& in, const Thresholds& t) {
  Report r;
  r.checks = {results_check(in), gemm_check(in, t), bandwidth_check(in, t), clocks_check(in), noise_check(in, t),
              spikes_check(in, t), outliers_check(in, t), load_check(in)};
  r.verdict = verdict_of(r.checks);
  return r;
}

Status verdict_of(const std::vector<Check>& checks) {
  Status worst = Status::Info;
  bool judged = false, left_unjudged = false;
  for (const auto& c : checks) {
    worst = std::max(worst, c.status);
    judged |= c.judges_performance && c.status == Status::Pass;
    left_unjudged |= c.judges_performance && c.left_unjudged && c.status == Status::Info;
  }
  return worst == Status::Pass && (!judged || left_unjudged) ? Status::Info : worst;
}

void add_check(Report& report, Check check) {
  report.checks.push_back(std::move(check));
  report.verdict = verdict_of(report.checks);
}

nlohmann::json to_json(const Report& report) {
  nlohmann::json j;
  j["verdict"] = to_string(report.verdict);
  j["checks"] = nlohmann::json::array();
  for (const auto& c : report.checks)
    j["checks"].push_back({{"id", c.id},
                           {"status", to_string(c.status)},
                           {"measured", c.measured},
                           {"reference", c.reference},
                           {"unit", c.unit},
                           {"detail", c.detail}});
  return j;
}

}  // namespace tb::health
