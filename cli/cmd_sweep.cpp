// `trainbench sweep`: the maximum achievable matmul FLOP/s, found by sweeping shapes as
// mamf-finder does (Bekman, ml-engineering, compute/accelerator/benchmarks/mamf-finder.py):
// datasheet peaks are not reachable, and the best shape differs per GPU and library version.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/convergence_note.hpp"
#include "cli/host_notes.hpp"
#include "cli/command_registry.hpp"
#include "cli/device_flags.hpp"
#include "cli/gemm_case.hpp"
#include "cli/kernel_limits.hpp"
#include "cli/kernel_table.hpp"
#include "cli/output_flag.hpp"
#include "cli/output_lock_flag.hpp"
#include "cli/timing_flags.hpp"
#include "harness/common/errors.hpp"
#include "harness/results/output_path.hpp"
#include "harness/results/results_io.hpp"
#include "harness/runner/gbench_runner.hpp"
#include "harness/runner/interrupt.hpp"
#include "harness/runner/machine_info.hpp"
#include "harness/timing/sample_stats.hpp"

namespace tb::cli {
namespace {

struct SweepFlags {
  std::string m_range, n_range, k_range;  // "" → per-device defaults
  std::string dtype;
  std::string layout = "fwd";
  DeviceFlags dev;
  std::string sku;
  std::string out;
  int candidates = 1;
  TimingFlags timing;
};

// Hundreds of shapes: less time per shape than a single measurement (nvbench's defaults).
timing::TimingPolicy sweep_policy() {
  timing::TimingPolicy p;
  p.min_time_s = 0.05;
  p.max_time_s = 1;
  return p;
}

int64_t parse_int(const std::string& text, const std::string& flag, const char* what = "sizes") {
  size_t used = 0;
  int64_t v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size())
    throw UsageError(fmt::format("{}: '{}' is not an integer; give start:stop:step, a list 1024,2048, or one value",
                                 flag, text));
  if (v <= 0) throw UsageError(fmt::format("{}: {} must be positive (got {})", flag, what, v));
  return v;
}

// A sweep of more shapes than this would take days even at a second a shape; the cap is checked
// before any list is built, so that 1:1000000000:1 is a message, not std::bad_alloc.
constexpr int64_t kMaxSweepShapes = 10000;
constexpr const char* kRangeFlags = "--m-range/--n-range/--k-range";

[[noreturn]] void too_many_shapes(const std::string& what, int64_t count) {
  throw UsageError(fmt::format("{}: {} gives {} shapes; a sweep measures at most {} (widen the step or narrow the "
                               "ranges)",
                               kRangeFlags, what, count, kMaxSweepShapes));
}

// "start:stop:step" (stop included, unlike mamf-finder's Python range), "a,b,c", or "n".
std::vector<int64_t> parse_size_range(const std::string& text, const std::string& flag) {
  std::vector<int64_t> out;
  if (text.find(':') != std::string::npos) {
    std::vector<std::string> parts;
    std::stringstream ss(text);
    for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
    if (parts.size() != 3) throw UsageError(fmt::format("{}: '{}' must be start:stop:step", flag, text));
    const int64_t start = parse_int(parts[0], flag), stop = parse_int(parts[1], flag);
    const int64_t step = parse_int(parts[2], flag, "the step (start:stop:step's third part)");
    if (stop < start) throw UsageError(fmt::format("{}: stop {} is below start {}", flag, stop, start));
    const int64_t count = (stop - start) / step + 1;  // no overflow: 0 < start <= stop
    if (count > kMaxSweepShapes) too_many_shapes(fmt::format("{} {}", flag, text), count);
    for (int64_t i = 0; i < count; ++i) out.push_back(start + i * step);
  } else {
    std::stringstream ss(text);
    for (std::string p; std::getline(ss, p, ',');) {
      out.push_back(parse_int(p, flag));
      if (static_cast<int64_t>(out.size()) > kMaxSweepShapes)
        too_many_shapes(fmt::format("{} '{}'", flag, text.substr(0, 40)), static_cast<int64_t>(out.size()));
    }
  }
  if (out.empty()) throw UsageError(fmt::format("{}: '{}' gives no sizes", flag, text));
  return out;
}

std::string csv_path_for(const std::string& json_path) {
  std::filesystem::path p(json_path);
  p.replace_extension(".csv");
  return p.string();
}

// The CSV goes beside the JSON under the same stem: an --out that is itself that CSV name would
// have the CSV overwrite the results.
void check_sweep_out(const std::string& out) {
  results::check_output_path(out, "--out", results::OutputKind::Results);
  if (results::same_file(out, csv_path_for(out)))
    throw UsageError(fmt::format("--out {}: the curve's CSV is written beside the results as {}, which is this "
                                 "same file; give a .json path (e.g. {})",
                                 out, csv_path_for(out),
                                 std::filesystem::path(out).replace_extension(".json").string()));
  results::check_output_path(csv_path_for(out), "--out (its .csv beside it)", results::OutputKind::SweepCsv);
}

void write_csv(const std::string& path, const std::vector<results::KernelResult>& ks) {
  std::ostringstream s;
  // outliers last: a script reading the older columns by position still reads them.
  s << "m,n,k,layout,dtype,status,median_ms,tflops,pct_of_peak,rel_noise,samples,verified,outliers\n";
  for (const auto& k : ks)
    fmt::print(s, "{},{},{},{},{},{},{:.6g},{:.6g},{:.4g},{},{},{},{}\n", k.dims.at("m"), k.dims.at("n"),
               k.dims.at("k"), k.layout, k.dtype, k.status, k.stats.median_ms, k.tflops, k.pct_of_peak,
               timing::known_rel_noise(k.stats) ? fmt::format("{:.4g}", k.stats.rel_noise) : "",  // empty: unknown
               k.stats.samples, k.verified ? 1 : 0, k.stats.outliers);
  results::write_file_atomic(path, s.str());
}

void run_sweep(const SweepFlags& f, const CLI::App& cmd) {
  const GemmLayout layout = parse_gemm_layout(f.layout, "--layout");
  if (!f.dtype.empty()) parse_dtype(f.dtype, "--dtype");
  if (f.candidates < 1) throw UsageError(fmt::format("--candidates must be >= 1 (got {})", f.candidates));
  runner::MeasureOptions options;
  options.policy = to_policy(f.timing);
  options.prepare.gemm_candidates = f.candidates;
  options.corrupt_output_for_testing = corrupt_output_requested();
  const auto gbench_args = gbench_args_from_extras(cmd);

  std::string note;  // after every check: a refusal is then the one message
  // Before the backend, whose making may measure: a second sweep over these files refuses
  // unmeasured. The CSV beside --out is covered by the same lock.
  results::OutputLock out_lock = lock_output_file(f.out, "--out", &note);
  const results::OutputLock gbench_out_lock = lock_benchmark_out(gbench_args, f.out, &note);
  auto backend = make_backend(f.dev);
  const kernels::DeviceInfo info = backend->device_info();
  const bool cpu = info.backend == "cpu";
  // A CPU sweep finishes in seconds and reaches the sizes where OpenBLAS peaks (1024: 128 and 256
  // stayed 20% under a single 1024^3 GEMM); a GPU one covers where cuBLAS peaks (mamf-finder).
  const std::string fallback = cpu ? "256:1024:384" : "2048:16384:2048";
  const auto ms = parse_size_range(f.m_range.empty() ? fallback : f.m_range, "--m-range");
  const auto ns = parse_size_range(f.n_range.empty() ? fallback : f.n_range, "--n-range");
  const auto ks = parse_size_range(f.k_range.empty() ? fallback : f.k_range, "--k-range");
  const int64_t shapes = static_cast<int64_t>(ms.size() * ns.size() * ks.size());  // each <= 10^4: no overflow
  if (shapes > kMaxSweepShapes)
    too_many_shapes(fmt::format("{} x {} x {} sizes", ms.size(), ns.size(), ks.size()), shapes);
  const DType dtype = resolve_gemm_dtype(f.dtype, info, &note);
  check_candidates_for(f.candidates, info);
  const auto sku = runner::sku_for(info, f.sku, runner::PeaksNeeded::compute);
  note += runner::sku_note(info, f.sku);

  std::vector<Op> ops;
  for (int64_t m : ms)
    for (int64_t n : ns)
      for (int64_t k : ks) ops.push_back(make_gemm_op("sweep", {m, n, k, layout}, dtype));
  // The largest shape that fits in memory decides (one beyond it is recorded "oom", as in gemm):
  // a sweep that would hang on its last case is refused before the first.
  if (cpu) {
    const double free_bytes = backend->free_memory_bytes();
    const Op* largest = nullptr;
    for (const Op& op : ops)
      if (!beyond_known_memory(op.bytes, free_bytes) && (!largest || op.flops > largest->flops)) largest = &op;
    if (largest)
      check_cpu_sample_time(*largest, estimate_local_cpu_peak().fp32_peak_tflops, "--m-range/--n-range/--k-range");
  }
  fmt::print(stderr, "{}", note);

  std::string out = f.out;
  if (out.empty()) {
    std::string stamp = runner::utc_now_iso8601();
    std::erase(stamp, ':');
    out = fmt::format("results/sweep-{}-{}-{}.json", info.backend, to_string(dtype), stamp);
    // results/ is this command's own choice, made here; a folder given with --out must exist.
    results::create_default_output_folder(out, "the default results file (--out)");
    check_sweep_out(out);  // a given --out was checked with the flags
    // To the second: two sweeps started in one second on one backend name the same file.
    std::string default_note;
    out_lock = lock_output_file(out, "the default results file (--out)", &default_note);
    fmt::print(stderr, "{}", default_note);
  }

  double best_so_far = 0;
  runner::GbenchOptions gb;
  gb.args = gbench_args;
  gb.progress = [&](size_t i, size_t n, const Op& op, const results::KernelResult* r) {
    if (!r) return;
    best_so_far = std::max(best_so_far, r->status == "ok" ? r->tflops : 0.0);
    fmt::print(stderr, "[{}/{}] {} {}: {}\n", i + 1, n, op.shape_string(), to_string(op.dtype),
               r->status == "ok" ? fmt::format("{:.3f} TFLOP/s (best {:.3f})", r->tflops, best_so_far)
                                 : r->status + ": " + r->error);
  };
  runner::install_interrupt_handler();
  auto measured = runner::run_with_google_benchmark(*backend, ops, options, sku, gb);
  const results::RunResults run = make_run_results("sweep", *backend, sku, dtype, measured, options.policy);
  results::write_results_file(out, run);
  write_csv(csv_path_for(out), run.kernels);

  const results::KernelResult* best = nullptr;
  for (const auto& k : run.kernels)
    if (k.status == "ok" && (!best || k.tflops > best->tflops)) best = &k;
  if (gbench_args.empty()) {
    // Only measured, verified shapes rank: an interrupted one's few samples are no result.
    std::vector<results::KernelResult> top;
    std::copy_if(run.kernels.begin(), run.kernels.end(), std::back_inserter(top),
                 [](const auto& k) { return k.status == "ok"; });
    const size_t measured = top.size();
    std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.tflops > b.tflops; });
    top.resize(std::min<size_t>(top.size(), 5));
    fmt::print(std::cout, "Fastest shapes of {} measured{} ({} {} on {}):\n", measured,
               measured == run.kernels.size() ? "" : fmt::format(" (of {})", run.kernels.size()), to_string(dtype),
               f.layout, info.name);
    print_kernel_table(std::cout, top);
    if (best) {
      const auto noise = timing::known_rel_noise(best->stats);
      fmt::print(std::cout, "\nbest: {} {}: {:.3f} TFLOP/s{} ({:.4f} ms median){}\n", best->shape, best->dtype,
                 best->tflops,
                 best->pct_of_peak > 0 ? fmt::format(", {:.1f}% of {} peak", best->pct_of_peak, sku->name) : "",
                 best->stats.median_ms,
                 noise && *noise > options.policy.target_rel_noise
                     ? fmt::format(" (se(med) {:.2f}%, above the {:.2f}% target: measure it alone to trust it)",
                                   100 * *noise, 100 * options.policy.target_rel_noise)
                     : "");
      // mamf-finder reports the fastest single sample (its "maximum achievable" figure); the median
      // above is what a training step sustains. Both, so that its users compare like with like.
      const results::KernelResult* fastest = nullptr;
      for (const auto& k : run.kernels)
        if (k.status == "ok" && k.stats.min_ms > 0 && (!fastest || k.flops / k.stats.min_ms > fastest->flops / fastest->stats.min_ms))
          fastest = &k;
      if (fastest)
        fmt::print(std::cout, "fastest sample: {} {}: {:.3f} TFLOP/s ({:.4f} ms; mamf-finder's statistic)\n",
                   fastest->shape, fastest->dtype, fastest->flops / (fastest->stats.min_ms * 1e-3) / 1e12,
                   fastest->stats.min_ms);
    }
    if (best && sku && sku->sustained_gemm_tflops.count(dtype))
      fmt::print(std::cout, "healthy {} parts sustain {:.0f} TFLOP/s in {} ({}): this one reaches {:.0f}%\n", sku->name,
                 sku->sustained_gemm_tflops.at(dtype), to_string(dtype), sku->sustained_source,
                 100 * best->tflops / sku->sustained_gemm_tflops.at(dtype));
    fmt::print(std::cout, "curve saved: {} and {}\n", out, csv_path_for(out));
  }
  std::cout.flush();
  fmt::print(stderr, "{}", unconverged_note(run.kernels, options.policy.target_rel_noise));
  fmt::print(stderr, "{}", host_notes(run.machine));
  if (runner::interrupted()) {
    fmt::print(stderr, "trainbench: interrupted; kept what was measured in {}\n", out);
    set_exit_code(runner::interrupted_exit_code());
    return;
  }
  for (const auto& k : run.kernels)
    if (k.status == "failed" || k.status == "interrupted")
      throw RuntimeError(fmt::format("sweep {} {}: {}: {}", k.shape, k.dtype, k.status, k.error));
  if (!best) throw RuntimeError("sweep: no shape could be measured (see the table above)");
}

void add_sweep_command(CLI::App& app) {
  auto flags = std::make_shared<SweepFlags>();
  flags->timing = timing_flags_from(sweep_policy());
  auto* cmd = app.add_subcommand("sweep", "Maximum achievable matmul FLOP/s: sweep GEMM shapes, report the best");
  cmd->add_option("--m-range", flags->m_range, "start:stop:step (stop included), a,b,c or n; default CPU 256:1024:384, "
                                               "GPU 2048:16384:2048");
  cmd->add_option("--n-range", flags->n_range, "as --m-range");
  cmd->add_option("--k-range", flags->k_range, "as --m-range");
  cmd->add_option("--dtype", flags->dtype, "fp32, tf32, bf16, fp16, fp8, fp64; default bf16 (fp32 on a CPU without bf16)");
  cmd->add_option("--layout", flags->layout, "fwd, dgrad or wgrad")->capture_default_str();
  add_device_flags(cmd, flags->dev);
  cmd->add_option("--sku", flags->sku, "SKU config for % of peak");
  cmd->add_option("--candidates", flags->candidates, "cuBLASLt heuristic candidates to time per shape")
      ->capture_default_str();
  // Checked as the flags are parsed, as every measuring command's --out: before the backend is
  // made (and its notes printed), with the one message form ("--out: nope/x.json: ...").
  cmd->add_option("--out", flags->out, "Results JSON (a .csv of the curve is written beside it); "
                                       "default results/sweep-<device>-<dtype>-<time>.json")
      ->check(writable_output("--out", check_sweep_out));
  add_timing_flags(cmd, flags->timing);
  add_throttle_flags(cmd, flags->timing);
  cmd->allow_extras();  // --benchmark_* flags go to Google Benchmark
  cmd->footer("Google Benchmark flags pass through: --benchmark_format=json, --benchmark_repetitions=5, "
              "--benchmark_out=FILE, --benchmark_filter=REGEX. Google Benchmark then prints on stdout in place of "
              "the fastest shapes; the results file and its .csv are written all the same.\n");
  cmd->callback([flags, cmd] { run_sweep(*flags, *cmd); });
}

const Registration registration{"sweep", 14, add_sweep_command};

}  // namespace
}  // namespace tb::cli
