// `trainbench health`: is something wrong with this machine? A short battery — three large GEMMs
// and a streaming memory-bound op, each verified — judged against what healthy parts of the
// same SKU sustain, plus the clock and noise flags the timing core recorded
// (harness/health/health_check.hpp); a CPU, which has no datasheet, against the peaks an earlier
// run measured on it (the peak cache). Exit 0 for pass (or nothing to judge against), 1 for
// suspect or fail, so that a fleet script can act on it.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>
#include <nlohmann/json.hpp>

#include "cli/command_registry.hpp"
#include "cli/output_flag.hpp"
#include "cli/output_lock_flag.hpp"
#include "cli/device_flags.hpp"
#include "cli/gemm_case.hpp"
#include "cli/kernel_table.hpp"
#include "cli/timing_flags.hpp"
#include "harness/common/errors.hpp"
#include "harness/hardware/cpu_peak.hpp"
#include "harness/health/config_checks.hpp"
#include "harness/health/health_check.hpp"
#include "harness/health/peer_checks.hpp"
#include "harness/results/output_path.hpp"
#include "harness/results/results_io.hpp"
#include "harness/runner/gbench_runner.hpp"
#include "harness/runner/interrupt.hpp"
#include "harness/runner/machine_info.hpp"

namespace tb::cli {
namespace {

struct HealthFlags {
  DeviceFlags dev;
  std::string dtype;
  std::string sku;
  std::string out;
  bool json = false;
  health::Thresholds thresholds;
  bool gemm_threshold_given = false;  // --gemm-threshold typed, not its default
  bool all_gpus = false;
  double peer_tolerance = 0.05;
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
  const std::string pci = info.pci_bus_id.empty() ? "" : ", PCI " + info.pci_bus_id;
  const std::string where = info.backend == "cuda" ? fmt::format(" (GPU {}{})", info.index, pci) : "";
  fmt::print(os, "\nHealth of {}{}{}:\n", info.name, where, sku ? fmt::format(", SKU {}", sku->name) : "");
  for (const auto& c : report.checks) {
    std::string status = to_string(c.status);
    for (auto& ch : status) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    fmt::print(os, "  {:<8} {:<17} {}\n", status, c.id, c.detail);
  }
  std::vector<std::string> why, unjudged;
  for (const auto& c : report.checks) {
    if (c.status == report.verdict && c.status >= health::Status::Suspect) why.push_back(c.id);
    if (c.status == health::Status::Info && c.left_unjudged) unjudged.push_back(c.id);
  }
  const std::string info_why = unjudged.empty() ? " (no reference to judge this device against)"
                                                : fmt::format(" ({} shown, not judged)", fmt::join(unjudged, ", "));
  fmt::print(os, "verdict: {}{}\n", to_string(report.verdict),
             why.empty() ? (report.verdict == health::Status::Info ? info_why : "")
                         : fmt::format(" ({})", fmt::join(why, ", ")));
}

// --gemm-threshold is a fraction of a [sustained] figure; where the SKU has none for the dtype, the
// GEMM is judged against --gemm-peak-threshold x its datasheet peak instead, which a user who typed
// --gemm-threshold must be told rather than see the flag ignored.
std::string gemm_threshold_note(const HealthFlags& f, const std::optional<SkuConfig>& sku, DType dtype,
                                bool peaks_estimated) {
  if (!f.gemm_threshold_given || !sku || peaks_estimated || sku->sustained_gemm_tflops.count(dtype)) return "";
  if (!(sku->peak_tflops_or_zero(dtype) > 0))
    return fmt::format("trainbench: note: --gemm-threshold {:g} is not applied: SKU {} has neither a [sustained] nor a "
                       "datasheet {} figure, so the GEMM is not judged\n",
                       f.thresholds.gemm_vs_sustained, sku->name, to_string(dtype));
  return fmt::format("trainbench: note: --gemm-threshold {:g} is not applied: it is a fraction of a [sustained] "
                     "gemm_tflops figure, and SKU {} has none for {}; the GEMM is judged against "
                     "--gemm-peak-threshold {:g} x its datasheet peak ({:g} TFLOP/s) instead\n",
                     f.thresholds.gemm_vs_sustained, sku->name, to_string(dtype), f.thresholds.gemm_vs_peak,
                     sku->peak_tflops_or_zero(dtype));
}

// One device's battery, measured and judged.
struct DeviceHealth {
  kernels::DeviceInfo info;
  std::optional<SkuConfig> sku;
  DType dtype = DType::BF16;
  results::RunResults run;
  health::Inputs inputs;  // the run's kernels, as judged
  health::Report report;
  std::string results_file;
};

// "out.json" for GPU 3 of an --all-gpus check: "out-gpu3.json".
std::string per_gpu_path(const std::string& out, int index) {
  std::filesystem::path p(out);
  return (p.parent_path() / fmt::format("{}-gpu{}{}", p.stem().string(), index, p.extension().string())).string();
}

// The CPU's best figures an earlier run measured here (the peak cache), this run's included: the
// battery's best GEMM, remembered by health itself per dtype, and the STREAM triad sku_for
// remembered; nullopt where neither was there before this run (which it then remembers).
std::optional<health::RememberedCpuPeaks> remembered_cpu_peaks(const health::Inputs& in, const SkuConfig& cpu,
                                                               DType dtype) {
  const CpuPeakEstimate peak = estimate_local_cpu_peak();
  const RememberedPeak gemm = remember_highest(
      peak_cache_file(), peak_cache_key(peak, std::string("health_gemm_tflops_") + to_string(dtype)),
      health::best_gemm_tflops(in), kUnbelievablePeakRatio, /*keep_disbelieved=*/true);
  const std::optional<RememberedPeak> bandwidth = runner::local_cpu_bandwidth();
  health::RememberedCpuPeaks r;
  if (gemm.earlier > 0) r.gemm_tflops = gemm.value;
  if (gemm.disbelieved > 0) r.gemm_far_above = gemm.disbelieved;
  if (bandwidth && bandwidth->earlier > 0) r.stream_gbps = cpu.memory_bandwidth_tb_s * 1000;
  if (!(r.gemm_tflops > 0) && !(r.stream_gbps > 0) && !(r.gemm_far_above > 0)) return std::nullopt;
  r.file = peak.peak_cache_file;
  return r;
}

DeviceHealth check_device(kernels::Backend& backend, const HealthFlags& f, const runner::MeasureOptions& options,
                          const std::string& out) {
  DeviceHealth d;
  d.info = backend.device_info();
  const bool cpu = d.info.backend == "cpu";
  std::string note;  // printed after --sku is resolved: a refusal is then the one message
  d.dtype = resolve_gemm_dtype(f.dtype, d.info, &note);
  d.sku = runner::sku_for(d.info, f.sku, runner::PeaksNeeded::compute_and_memory);
  note += runner::sku_note(d.info, f.sku);
  // Once per kind of device: --all-gpus over eight alike would say it eight times.
  static std::set<std::string> said;
  if (said.insert(note).second) fmt::print(stderr, "{}", note);

  std::vector<Op> ops;
  for (const auto& shape : gemm_battery(cpu)) ops.push_back(make_gemm_op("health.gemm", shape, d.dtype));
  ops.push_back(
      make_memory_op("health.stream", OpKind::ResidualAdd, streaming_shape(cpu), streaming_dtype(d.dtype), 3));
  runner::GbenchOptions gb;
  gb.progress = [&](size_t i, size_t n, const Op& op, const results::KernelResult* r) {
    if (r)
      fmt::print(stderr, "[{}{}/{}] {} {}: {}\n", cpu ? "" : fmt::format("GPU {} ", d.info.index), i + 1, n, op.name,
                 op.shape_string(), r->status);
  };
  d.run = make_run_results("health", backend, d.sku, d.dtype,
                           runner::run_with_google_benchmark(backend, ops, options, d.sku, gb), options.policy);
  if (!out.empty()) results::write_results_file(out, d.run);
  d.results_file = out;

  health::Inputs& in = d.inputs;
  for (const auto& k : d.run.kernels) (k.kind == "gemm" ? in.gemms : in.streaming).push_back(k);
  in.sku = d.sku;
  in.peaks_estimated = cpu && f.sku.empty();
  in.cpu_backend = cpu;
  in.gemm_dtype = to_string(d.dtype);
  in.load_avg_1m = d.run.machine.load_avg_1m;
  in.host_cpus = d.run.machine.host_cpus;
  in.throttle_threshold = options.policy.throttle_threshold;
  // Not from an interrupted battery: its best is no measure of the machine, and must not become one.
  if (in.peaks_estimated && d.sku && !runner::interrupted()) in.remembered = remembered_cpu_peaks(in, *d.sku, d.dtype);
  d.report = health::evaluate(in, f.thresholds);
  if (const std::string note = gemm_threshold_note(f, d.sku, d.dtype, in.peaks_estimated); said.insert(note).second)
    fmt::print(stderr, "{}", note);
  if (const auto config = backend.read_device_config())
    for (auto& c : health::config_checks(*config)) health::add_check(d.report, std::move(c));
  return d;
}

nlohmann::json device_json(const DeviceHealth& d) {
  nlohmann::json j = health::to_json(d.report);
  j["device"] = d.info.name;
  j["backend"] = d.info.backend;
  j["gpu_index"] = d.info.index;
  j["pci_bus_id"] = d.info.pci_bus_id;
  j["sku"] = d.sku ? d.sku->name : "";
  j["dtype"] = to_string(d.dtype);
  j["results_file"] = d.results_file;
  return j;
}

// A fleet script must not pull (or pass) a node because someone pressed Ctrl-C: the verdict says
// "interrupted", and what the measured kernels alone gave is kept beside it.
void mark_interrupted(nlohmann::json& j) {
  j["verdict_of_measured"] = j["verdict"];
  j["verdict"] = "interrupted";
}

void run_health(const HealthFlags& f) {
  if (!f.dtype.empty()) parse_dtype(f.dtype, "--dtype");
  check_fraction(f.thresholds.gemm_vs_sustained, "--gemm-threshold");
  check_fraction(f.thresholds.gemm_vs_peak, "--gemm-peak-threshold");
  check_fraction(f.thresholds.bandwidth_vs_datasheet, "--bandwidth-threshold");
  check_fraction(f.thresholds.max_rel_noise, "--max-noise");
  check_fraction(f.thresholds.max_tail, "--max-tail");
  check_fraction(f.thresholds.max_outlier_fraction, "--max-outliers");
  check_fraction(f.peer_tolerance, "--peer-tolerance");
  if (f.all_gpus && f.dev.device == "cpu")
    throw UsageError("--all-gpus checks every CUDA device; not with --device cpu");
  runner::MeasureOptions options;
  options.policy = to_policy(f.timing);
  options.corrupt_output_for_testing = corrupt_output_requested();
  runner::install_interrupt_handler();

  std::vector<DeviceHealth> devices;
  // Held until the files are written (again, with the peer checks), taken before anything is
  // measured: a second health over one of these files refuses unmeasured.
  std::vector<results::OutputLock> out_locks;
  std::string lock_notes;
  if (f.all_gpus) {
    std::string why;
    if (!kernels::cuda_device_available(&why)) throw RuntimeError(fmt::format("--all-gpus: no usable GPU: {}", why));
    refuse_multi_rank_launch();
    // Each card's file is a path of its own: checked now, not after the first cards were measured.
    if (!f.out.empty())
      for (const auto& g : kernels::cuda_devices())
        results::check_output_path(per_gpu_path(f.out, g.index), fmt::format("--out (GPU {}'s file)", g.index),
                                   results::OutputKind::Results);
    if (!f.out.empty())
      for (const auto& g : kernels::cuda_devices())
        out_locks.push_back(
            lock_output_file(per_gpu_path(f.out, g.index), fmt::format("--out (GPU {}'s file)", g.index), &lock_notes));
    fmt::print(stderr, "{}", lock_notes);
    for (const auto& g : kernels::cuda_devices()) {
      if (runner::interrupted()) break;
      auto backend = kernels::make_backend("cuda", g.index);
      devices.push_back(check_device(*backend, f, options, f.out.empty() ? "" : per_gpu_path(f.out, g.index)));
    }
    // A card well behind its neighbours is the one to pull, whatever the datasheet says.
    std::vector<health::PeerFigures> peers;
    for (const auto& d : devices)
      peers.push_back({d.info.index, health::best_gemm_tflops(d.inputs), health::best_stream_gbps(d.inputs)});
    const auto checks = health::peer_checks(peers, f.peer_tolerance);
    for (size_t i = 0; i < devices.size(); ++i) health::add_check(devices[i].report, checks[i]);
  } else {
    out_locks.push_back(lock_output_file(f.out, "--out", &lock_notes));
    fmt::print(stderr, "{}", lock_notes);
    auto backend = make_backend(f.dev);
    devices.push_back(check_device(*backend, f, options, f.out));
  }

  health::Status verdict = health::Status::Info;
  for (const auto& d : devices) verdict = std::max(verdict, d.report.verdict);
  // The saved files carry each card's verdict and checks (peer checks included, so written again
  // now): a fleet's files say which card is suspect and why.
  for (auto& d : devices) {
    if (d.results_file.empty()) continue;
    d.run.health = device_json(d);
    if (runner::interrupted()) mark_interrupted(d.run.health);
    results::write_results_file(d.results_file, d.run);
  }
  if (f.json) {
    nlohmann::json j;
    if (f.all_gpus) {
      j["verdict"] = to_string(verdict);
      j["gpus"] = nlohmann::json::array();
      for (const auto& d : devices) j["gpus"].push_back(device_json(d));
    } else {
      j = device_json(devices.front());
    }
    if (runner::interrupted()) mark_interrupted(j);
    std::cout << j.dump(2) << "\n";
  } else {
    for (const auto& d : devices) {
      print_kernel_table(std::cout, d.run.kernels);
      print_report(std::cout, d.report, d.info, d.sku);
    }
    if (f.all_gpus) {
      fmt::print(std::cout, "\n{} GPUs checked; verdict: {}\n", devices.size(), to_string(verdict));
      for (const auto& d : devices)
        fmt::print(std::cout, "  GPU {} {:<14} {:<8} GEMM {:.4g} TFLOP/s, streaming {:.4g} GB/s\n", d.info.index,
                   d.info.pci_bus_id, to_string(d.report.verdict), health::best_gemm_tflops(d.inputs),
                   health::best_stream_gbps(d.inputs));
    }
  }
  if (runner::interrupted()) {
    fmt::print(stderr, "trainbench: interrupted; the verdict covers what was measured\n");
    set_exit_code(runner::interrupted_exit_code());
    return;
  }
  if (verdict >= health::Status::Suspect) throw RuntimeError(fmt::format("health: {}", to_string(verdict)));
}

void add_health_command(CLI::App& app) {
  auto flags = std::make_shared<HealthFlags>();
  auto* cmd = app.add_subcommand("health", "Is something wrong with this machine? GEMM and memory-bandwidth "
                                           "battery judged against healthy parts of its SKU; exit 1 if not");
  add_device_flags(cmd, flags->dev);
  cmd->add_option("--dtype", flags->dtype, "GEMM dtype: bf16 (default; fp32 on a CPU without bf16 GEMM), fp16, fp8, tf32, fp32, fp64");
  cmd->add_option("--sku", flags->sku, "SKU config to judge against (default: matched from the device name)");
  cmd->add_option("--out", flags->out, fmt::format("Write the battery's results file (JSON, schema v{})", results::kSchemaVersion))
      ->check(writable_output("--out"));
  cmd->add_flag("--json", flags->json, "Print the verdict and checks as one JSON object");
  cmd->add_option("--gemm-threshold", flags->thresholds.gemm_vs_sustained,
                  "Best GEMM below this fraction of the SKU's [sustained] figure is suspect (SKUs without one for "
                  "the dtype: --gemm-peak-threshold; a CPU without --sku: of the best GEMM health measured on this "
                  "machine, kept in the peak cache)")
      ->capture_default_str();
  cmd->add_option("--gemm-peak-threshold", flags->thresholds.gemm_vs_peak,
                  "Where the SKU has no [sustained] figure for the dtype: best GEMM below this fraction of the "
                  "datasheet peak is suspect")
      ->capture_default_str();
  cmd->add_option("--bandwidth-threshold", flags->thresholds.bandwidth_vs_datasheet,
                  "Streaming GB/s below this fraction of the datasheet bandwidth is suspect (a CPU without --sku: "
                  "of the highest STREAM triad the peak cache remembers)")
      ->capture_default_str();
  cmd->add_flag("--all-gpus", flags->all_gpus,
                "Check every GPU in turn, and each against the median of the others (finds the bad card)");
  cmd->add_option("--peer-tolerance", flags->peer_tolerance,
                  "--all-gpus: a GPU this fraction below its peers' median is suspect")
      ->capture_default_str();
  cmd->add_option("--max-noise", flags->thresholds.max_rel_noise,
                  "Relative noise of a median above this fraction is suspect")
      ->capture_default_str();
  cmd->add_option("--max-tail", flags->thresholds.max_tail,
                  "Spikes: a kernel's p90 more than this fraction above its median is suspect; also the least an "
                  "outlier must cost to count under --max-outliers")
      ->capture_default_str();
  // The whole rule, as harness/health/health_check.hpp applies it: the fraction alone would call a
  // single OS hiccup in 50 samples, or a tight kernel's 2%-slow outliers, suspect.
  cmd->add_option("--max-outliers", flags->thresholds.max_outlier_fraction,
                  "Outliers: a kernel is suspect when more than this fraction of its samples are outliers (slower "
                  "than median + 5 robust sigmas), and it has at least 2 of them, and its slowest sample is at least "
                  "--max-tail above its median")
      ->capture_default_str();
  add_timing_flags(cmd, flags->timing);
  add_throttle_flags(cmd, flags->timing);
  cmd->callback([flags, cmd] {
    flags->gemm_threshold_given = cmd->get_option("--gemm-threshold")->count() > 0;
    run_health(*flags);
  });
}

const Registration registration{"health", 9, add_health_command};

}  // namespace
}  // namespace tb::cli
