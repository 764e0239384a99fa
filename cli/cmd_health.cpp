// `trainbench health`: is something wrong with this machine? A short battery — three large GEMMs
// and a streaming memory-bound op, each verified — judged against what healthy parts of the
// same SKU sustain, plus the clock and noise flags the timing core recorded
// (harness/health/health_check.hpp). Exit 0 for pass (or nothing to judge against), 1 for
// suspect or fail, so that a fleet script can act on it.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command_registry.hpp"
#include "cli/gemm_case.hpp"
#include "cli/kernel_table.hpp"
#include "cli/timing_flags.hpp"
#include "harness/common/errors.hpp"
#include "harness/health/health_check.hpp"
#include "harness/results/results_io.hpp"
#include "harness/runner/gbench_runner.hpp"
#include "harness/runner/interrupt.hpp"
#include "harness/runner/machine_info.hpp"

namespace tb::cli {
namespace {

struct HealthFlags {
  std::string device = "auto";
  std::string dtype;
  std::string sku;
  std::string out;
  bool json = false;
  health::Thresholds thresholds;
  TimingFlags timing;
};

// GEMMs where cuBLAS runs near its best on a GPU (mamf-finder's sweeps peak at these sizes), and
// sizes a 2-core CPU finishes in seconds. The streaming op moves far more than any last-level
// cache: 3 x 256 MiB in bf16 on a GPU (L2 is 50-60 MB), 3 x 64 MiB in fp32 on a CPU.
std::vector<GemmShape> gemm_battery(bool cpu) {
  if (cpu) return {{128, 128, 128}, {256, 256, 256}, {512, 512, 512}};
  return {{4096, 4096, 4096}, {8192, 8192, 8192}, {16384, 16384, 16384}};
}
MemoryShape streaming_shape(bool cpu) { return cpu ? MemoryShape{4096, 4096} : MemoryShape{16384, 8192}; }

// Memory-bound kernels run in a storage type: fp8 and tf32 GEMMs pair with bf16 and fp32 ones.
DType streaming_dtype(DType gemm) {
  if (gemm == DType::FP8) return DType::BF16;
  if (gemm == DType::TF32 || gemm == DType::FP64) return DType::FP32;
  return gemm;
}

void check_fraction(double v, const std::string& flag) {
  if (!(v > 0 && v <= 1)) throw UsageError(fmt::format("{} must be a fraction in (0, 1] (got {})", flag, v));
}

void print_report(std::ostream& os, const health::Report& report, const kernels::DeviceInfo& info,
                  const std::optional<SkuConfig>& sku) {
  fmt::print(os, "\nHealth of {}{}:\n", info.name, sku ? fmt::format(" (SKU {})", sku->name) : "");
  for (const auto& c : report.checks) {
    std::string status = to_string(c.status);
    for (auto& ch : status) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    fmt::print(os, "  {:<8} {:<17} {}\n", status, c.id, c.detail);
  }
  std::vector<std::string> why;
  for (const auto& c : report.checks)
    if (c.status == report.verdict && c.status >= health::Status::Suspect) why.push_back(c.id);
  fmt::print(os, "verdict: {}{}\n", to_string(report.verdict),
             why.empty() ? (report.verdict == health::Status::Info ? " (no reference to judge this device against)" : "")
                         : fmt::format(" ({})", fmt::join(why, ", ")));
}

void run_health(const HealthFlags& f) {
  if (!f.dtype.empty()) parse_dtype(f.dtype, "--dtype");
  check_fraction(f.thresholds.gemm_vs_sustained, "--gemm-threshold");
  check_fraction(f.thresholds.bandwidth_vs_datasheet, "--bandwidth-threshold");
  check_fraction(f.thresholds.max_rel_noise, "--max-noise");
  runner::MeasureOptions options;
  options.policy = to_policy(f.timing);
  options.corrupt_output_for_testing = corrupt_output_requested();

  auto backend = kernels::make_backend(f.device);
  const kernels::DeviceInfo info = backend->device_info();
  const bool cpu = info.backend == "cpu";
  const DType dtype = resolve_gemm_dtype(f.dtype, info);
  const auto sku = runner::sku_for(info, f.sku, runner::PeaksNeeded::compute_and_memory);

  std::vector<Op> ops;
  for (const auto& shape : gemm_battery(cpu)) ops.push_back(make_gemm_op("health.gemm", shape, dtype));
  ops.push_back(make_memory_op("health.stream", OpKind::ResidualAdd, streaming_shape(cpu), streaming_dtype(dtype), 3));

  runner::install_interrupt_handler();
  runner::GbenchOptions gb;
  gb.progress = [](size_t i, size_t n, const Op& op, const results::KernelResult* r) {
    if (r) fmt::print(stderr, "[{}/{}] {} {}: {}\n", i + 1, n, op.name, op.shape_string(), r->status);
  };
  auto measured = runner::run_with_google_benchmark(*backend, ops, options, sku, gb);
  const results::RunResults run = make_run_results("health", *backend, sku, dtype, measured);
  if (!f.out.empty()) results::write_results_file(f.out, run);

  health::Inputs in;
  for (const auto& k : run.kernels) (k.kind == "gemm" ? in.gemms : in.streaming).push_back(k);
  in.sku = sku;
  in.peaks_estimated = cpu && f.sku.empty();
  in.gemm_dtype = to_string(dtype);
  const health::Report report = health::evaluate(in, f.thresholds);

  if (f.json) {
    nlohmann::json j = health::to_json(report);
    j["device"] = info.name;
    j["backend"] = info.backend;
    j["sku"] = sku ? sku->name : "";
    j["dtype"] = to_string(dtype);
    j["results_file"] = f.out;
    std::cout << j.dump(2) << "\n";
  } else {
    print_kernel_table(std::cout, run.kernels);
    print_report(std::cout, report, info, sku);
  }
  if (runner::interrupted()) {
    fmt::print(stderr, "trainbench: interrupted; the verdict covers what was measured\n");
    set_exit_code(130);
    return;
  }
  if (report.verdict >= health::Status::Suspect)
    throw RuntimeError(fmt::format("health: {}", to_string(report.verdict)));
}

void add_health_command(CLI::App& app) {
  auto flags = std::make_shared<HealthFlags>();
  auto* cmd = app.add_subcommand("health", "Is something wrong with this machine? GEMM and memory-bandwidth "
                                           "battery judged against healthy parts of its SKU; exit 1 if not");
  cmd->add_option("--device", flags->device, "cuda, cpu or auto")->capture_default_str();
  cmd->add_option("--dtype", flags->dtype, "GEMM dtype: bf16 (default), fp16, fp8, tf32, fp32");
  cmd->add_option("--sku", flags->sku, "SKU config to judge against (default: matched from the device name)");
  cmd->add_option("--out", flags->out, "Write the battery's results file (JSON, schema v1)");
  cmd->add_flag("--json", flags->json, "Print the verdict and checks as one JSON object");
  cmd->add_option("--gemm-threshold", flags->thresholds.gemm_vs_sustained,
                  "Best GEMM below this fraction of the SKU's sustained figure is suspect")
      ->capture_default_str();
  cmd->add_option("--bandwidth-threshold", flags->thresholds.bandwidth_vs_datasheet,
                  "Streaming GB/s below this fraction of the datasheet bandwidth is suspect")
      ->capture_default_str();
  cmd->add_option("--max-noise", flags->thresholds.max_rel_noise,
                  "Relative noise of a median above this fraction is suspect")
      ->capture_default_str();
  add_timing_flags(cmd, flags->timing);
  cmd->callback([flags] { run_health(*flags); });
}

const Registration registration{"health", 9, add_health_command};

}  // namespace
}  // namespace tb::cli
