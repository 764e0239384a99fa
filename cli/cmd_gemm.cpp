// `trainbench gemm`: one GEMM, measured through Google Benchmark and measure_op, verified
// against the fp64 reference. Over-memory shapes: a UsageError (exit 2) here, since the shape is
// this command's own flags; inside a multi-kernel `run` the same refusal is recorded as "oom".
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/convergence_note.hpp"
#include "cli/host_notes.hpp"
#include "cli/command_registry.hpp"
#include "cli/output_flag.hpp"
#include "cli/output_lock_flag.hpp"
#include "cli/device_flags.hpp"
#include "cli/kernel_limits.hpp"
#include "cli/kernel_status.hpp"
#include "cli/gemm_case.hpp"
#include "cli/kernel_table.hpp"
#include "cli/timing_flags.hpp"
#include "harness/common/errors.hpp"
#include "harness/results/results_io.hpp"
#include "harness/runner/gbench_runner.hpp"
#include "harness/runner/interrupt.hpp"
#include "harness/runner/machine_info.hpp"

namespace tb::cli {
namespace {

struct GemmFlags {
  int64_t m = 0, n = 0, k = 0;
  int64_t batch = 1;
  std::string dtype;
  std::string layout = "fwd";
  DeviceFlags dev;
  std::string sku;
  int candidates = 1;
  bool json = false;
  bool no_verify = false;
  std::string out;
  TimingFlags timing;
};

nlohmann::json single_json(const results::RunResults& run, const results::KernelResult& r) {
  nlohmann::json j = results::to_json(run).at("kernels").back();
  j["m"] = r.dims.at("m");
  j["n"] = r.dims.at("n");
  j["k"] = r.dims.at("k");
  j["batch"] = r.dims.at("batch");
  j["device"] = run.machine.backend;
  j["device_name"] = run.machine.device_name;
  j["sku"] = run.machine.sku;
  j["peak_tflops"] = run.machine.peak_tflops;
  return j;
}

void run_gemm(const GemmFlags& f, const CLI::App& cmd) {
  const GemmShape shape{f.m, f.n, f.k, parse_gemm_layout(f.layout, "--layout"), f.batch};
  if (shape.m <= 0) throw UsageError(fmt::format("-m must be a positive integer (got {})", shape.m));
  if (shape.n <= 0) throw UsageError(fmt::format("-n must be a positive integer (got {})", shape.n));
  if (shape.k <= 0) throw UsageError(fmt::format("-k must be a positive integer (got {})", shape.k));
  if (shape.batch <= 0)
    throw UsageError(fmt::format("--batch must be a positive integer: the GEMMs of one batched launch (got {})",
                                 shape.batch));
  if (f.candidates < 1) throw UsageError(fmt::format("--candidates must be >= 1 (got {})", f.candidates));
  if (!f.dtype.empty()) parse_dtype(f.dtype, "--dtype");  // a typo is refused before any device work
  runner::MeasureOptions options;
  options.policy = to_policy(f.timing);
  timing::validate(options.policy);  // before any device work or note
  options.prepare.gemm_candidates = f.candidates;
  options.verify = !f.no_verify;
  options.corrupt_output_for_testing = corrupt_output_requested();
  const auto gbench_args = gbench_args_from_extras(cmd);
  const bool gbench_stdout = !gbench_args.empty();
  if (f.json && !runner::gbench_flag_value(gbench_args, "format").empty())
    throw UsageError("--json and --benchmark_format both choose what stdout prints; give one");

  std::string note;  // after every check: a refusal is then the one message
  // Before the backend, whose making may measure: a second gemm over these files refuses unmeasured.
  const results::OutputLock out_lock = lock_output_file(f.out, "--out", &note);
  const results::OutputLock gbench_out_lock = lock_benchmark_out(gbench_args, f.out, &note);
  auto backend = make_backend(f.dev);
  const kernels::DeviceInfo info = backend->device_info();
  const DType dtype = resolve_gemm_dtype(f.dtype, info, &note);
  check_candidates_for(f.candidates, info);
  const auto sku = runner::sku_for(info, f.sku, runner::PeaksNeeded::compute);
  note += runner::sku_note(info, f.sku);
  const Op op = make_gemm_op("gemm", shape, dtype);
  // A shape beyond memory gets the backend's "does not fit" (with the bytes) instead of this.
  if (info.backend == "cpu" && !beyond_known_memory(op.bytes, backend->free_memory_bytes()))
    check_cpu_sample_time(op, estimate_local_cpu_peak().fp32_peak_tflops, "-m, -n, -k, --batch");
  fmt::print(stderr, "{}", note);

  runner::install_interrupt_handler();
  runner::GbenchOptions gb;
  gb.args = gbench_args;
  auto measured = runner::run_with_google_benchmark(*backend, {op}, options, sku, gb);
  const results::RunResults run = make_run_results("gemm", *backend, sku, dtype, measured, options.policy);
  const auto& r = run.kernels.back();  // the last repetition
  if (f.json) {
    std::cout << single_json(run, r).dump(2) << "\n";
  } else if (!gbench_stdout) {
    print_kernel_table(std::cout, run.kernels);
    if (r.status == "ok")
      fmt::print(std::cout, "\n{} on {}: {:.4f} ms, {:.3f} TFLOP/s{}\n", runner::gbench_name(op), info.name,
                 r.stats.median_ms, r.tflops,
                 r.pct_of_peak > 0 ? fmt::format(", {:.1f}% of {} {} peak", r.pct_of_peak, sku->name, r.dtype) : "");
  }
  std::cout.flush();  // the measurement is on screen before the file, which a full disk may refuse
  if (!f.out.empty()) results::write_results_file(f.out, run);  // recorded, failures included
  fmt::print(stderr, "{}", unconverged_note(run.kernels, options.policy.target_rel_noise));
  fmt::print(stderr, "{}", host_notes(run.machine));
  for (const auto& k : run.kernels) fail_on_status(k, "gemm", "-m/-n/-k/--batch");
}

void add_gemm_command(CLI::App& app) {
  auto flags = std::make_shared<GemmFlags>();
  auto* cmd = app.add_subcommand("gemm", "Measure one GEMM: time, TFLOP/s, % of peak, verified against fp64");
  cmd->add_option("-m", flags->m, "Rows of C (tokens for fwd/dgrad)")->required()->check(fits_int64());
  cmd->add_option("-n", flags->n, "Columns of C")->required()->check(fits_int64());
  cmd->add_option("-k", flags->k, "Inner dimension")->required()->check(fits_int64());
  cmd->add_option("--batch", flags->batch,
                  "GEMMs of this m x n x k in one strided batched launch, each on its own A, B and C (a grouped "
                  "GEMM of equal groups, as a MoE layer's experts under balanced routing)")
      ->capture_default_str()
      ->check(fits_int64());
  cmd->add_option("--dtype", flags->dtype,
                  "fp32, tf32, bf16, fp16, fp8 (e4m3; dgrad's A and wgrad's B, the gradient, in e5m2), fp64; "
                  "default bf16 (fp32 on a CPU without bf16 GEMM)");
  cmd->add_option("--layout", flags->layout, "fwd (X·W), dgrad (dY·Wᵀ), wgrad (Xᵀ·dY)")->capture_default_str();
  add_device_flags(cmd, flags->dev);
  cmd->add_option("--sku", flags->sku, "SKU config for % of peak (default: matched from the device name)");
  cmd->add_option("--candidates", flags->candidates, "Time cuBLASLt's top-k heuristic algorithms, keep the fastest")
      ->capture_default_str();
  cmd->add_flag("--json", flags->json, "Print one JSON object");
  cmd->add_flag("--no-verify", flags->no_verify, "Skip the check against the fp64 reference");
  cmd->add_option("--out", flags->out, fmt::format("Write a results file (JSON, schema v{})", results::kSchemaVersion))
      ->check(writable_output("--out"));
  add_timing_flags(cmd, flags->timing);
  add_throttle_flags(cmd, flags->timing);
  cmd->allow_extras();  // --benchmark_* flags go to Google Benchmark
  cmd->footer("Google Benchmark flags pass through: --benchmark_format=json, --benchmark_repetitions=5, "
              "--benchmark_out=FILE, --benchmark_filter=REGEX.\n");
  cmd->callback([flags, cmd] { run_gemm(*flags, *cmd); });
}

const Registration registration{"gemm", 12, add_gemm_command};

}  // namespace
}  // namespace tb::cli
