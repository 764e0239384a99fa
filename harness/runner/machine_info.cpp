#include "harness/runner/machine_info.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>

#include "harness/hardware/cpu_peak.hpp"
#include "harness/hardware/cpu_scaling.hpp"
#include "harness/hardware/sku_match.hpp"
#include "kernels/cpu/stream_triad.hpp"

namespace tb::runner {

std::string utc_now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Stamped at build time by cmake/GitCommit.cmake: empty outside git, "-dirty" after the hash when
// tracked files had changed since the commit.
extern const char* const kBuildGitCommit;

std::string build_type() {
  const std::string type = TB_BUILD_TYPE;
  return type.empty() ? "None" : type;
}

std::string git_commit() {
  static const std::string commit = [] {
    const std::string c = kBuildGitCommit;
    const std::string hash = c.substr(0, c.find('-'));
    const bool hex = hash.size() >= 7 && hash.find_first_not_of("0123456789abcdef") == std::string::npos;
    const bool suffix_ok = hash.size() == c.size() || c.substr(hash.size()) == "-dirty";
    return hex && suffix_ok ? c : std::string("unknown");
  }();
  return commit;
}

namespace {
// Set once, by the first sku_for that measures the triad (the CLI's main thread).
std::optional<RememberedPeak> g_local_bandwidth;
}  // namespace

std::optional<RememberedPeak> local_cpu_bandwidth() { return g_local_bandwidth; }

std::optional<SkuConfig> sku_for(const kernels::DeviceInfo& info, const std::string& override_name,
                                 PeaksNeeded needed) {
  if (!override_name.empty()) return load_sku(override_name);
  if (info.backend == "cpu") {
    const CpuPeakEstimate peak = estimate_local_cpu_peak();
    std::optional<StreamTriadResult> triad;
    std::optional<RememberedPeak> bandwidth;
    if (needed == PeaksNeeded::compute_and_memory) {
      static const StreamTriadResult measured = kernels::cpu::measure_local_stream_triad();
      static const RememberedPeak remembered =
          remember_highest(peak_cache_file(), peak_cache_key(peak, "stream_tb_s"), stream_triad_tb_s(measured));
      triad = measured;
      bandwidth = remembered;
      g_local_bandwidth = remembered;
    }
    if (peak.fp32_peak_tflops > 0 || triad) return cpu_pseudo_sku(peak, triad, bandwidth);
    return std::nullopt;
  }
  return match_sku(info.name, info.memory_gb);
}

std::string sku_note(const kernels::DeviceInfo& info, const std::string& override_name) {
  if (override_name.empty()) return info.backend == "cpu" ? "" : unmatched_sku_note(info.name, info.memory_gb);
  if (info.backend == "cpu")
    return fmt::format("trainbench: note: --sku {}: judging {} (the CPU backend) against that GPU's datasheet; % of "
                       "peak, MFU, memory and power are the GPU's, and the results file records sku {}\n",
                       override_name, info.name, override_name);
  if (!info.matched_sku.empty() && info.matched_sku != override_name)
    return fmt::format("trainbench: note: --sku {} overrides {}, which {} matched\n", override_name, info.matched_sku,
                       info.name);
  return "";
}

results::TimingInfo timing_info(const timing::TimingPolicy& p, const std::string& backend, double budget_s) {
  results::TimingInfo t;
  t.noise = p.target_rel_noise;
  t.min_samples = p.min_samples;
  t.max_samples = p.max_samples;
  t.min_time_s = p.min_time_s;
  t.max_time_s = p.max_time_s;
  t.warmup = p.warmup_launches;
  t.budget_s = budget_s;
  if (backend == "cuda") {
    t.throttle_threshold = p.throttle_threshold;
    t.throttle_recovery_delay_s = p.throttle_recovery_delay_s;
  }
  return t;
}

std::string peak_source(const std::optional<SkuConfig>& sku, bool clock_from_cache, bool bandwidth_from_cache,
                        const std::string& cache_file) {
  if (!sku) return "";
  if (sku->name != kCpuPseudoSkuName) return "sku " + sku->name;
  if (clock_from_cache || bandwidth_from_cache)
    return fmt::format("cpu estimate, the highest on this machine so far ({})", cache_file);
  return "cpu estimate, this run";
}

void record_sku(results::MachineInfo& m, const std::optional<SkuConfig>& sku, DType dtype) {
  m.sku = sku ? sku->name : "";
  m.peak_tflops = sku ? sku->peak_tflops_or_zero(dtype) : 0.0;
  m.peak_dtype = to_string(dtype);
  m.peak_memory_tb_s = sku ? sku->memory_bandwidth_tb_s : 0.0;
  m.measured_clock_mhz.reset();
  m.measured_memory_tb_s.reset();
  if (!sku || sku->name != kCpuPseudoSkuName) {
    m.peak_source = peak_source(sku, false, false, "");
    return;
  }
  const CpuPeakEstimate peak = estimate_local_cpu_peak();
  if (peak.measured_mhz > 0) m.measured_clock_mhz = peak.measured_mhz;
  const std::optional<RememberedPeak> bandwidth = local_cpu_bandwidth();
  // The pseudo-SKU carries a bandwidth only where its command measured the triad.
  const bool with_bandwidth = bandwidth && sku->memory_bandwidth_tb_s > 0;
  if (with_bandwidth) m.measured_memory_tb_s = bandwidth->measured;
  m.peak_source = peak_source(sku, peak.clock_from_cache, with_bandwidth && bandwidth->raised, peak.peak_cache_file);
}

void record_host_load(results::MachineInfo& m) {
  std::ifstream load("/proc/loadavg");
  double one_minute = 0;
  if (load >> one_minute) m.load_avg_1m = one_minute;
  m.host_cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
}

results::MachineInfo collect_machine_info(const kernels::Backend& backend, int argc, char** argv) {
  const kernels::DeviceInfo d = backend.device_info();
  results::MachineInfo m;
  m.backend = d.backend;
  m.device_name = d.name;
  m.device_count = d.backend == "cuda" ? static_cast<int>(kernels::cuda_devices().size()) : 1;
  m.device_index = d.index;
  m.pci_bus_id = d.pci_bus_id;
  if (d.compute_capability_major > 0)
    m.compute_capability = fmt::format("{}.{}", d.compute_capability_major, d.compute_capability_minor);
  m.sm_count = d.sm_count;
  m.memory_gb = d.memory_gb;
  m.sm_clock_mhz = d.sm_clock_mhz;
  m.memory_clock_mhz = d.memory_clock_mhz;
  m.driver_version = d.driver_version;
  m.cuda_runtime_version = d.cuda_runtime_version;
  m.cublas_version = d.cublas_version;
  m.nccl_version = d.nccl_version;
  m.blas_version = d.blas_version.empty() ? kernels::cpu_device_info().blas_version : d.blas_version;
  m.sku = d.matched_sku;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) m.host = host;
  m.cpu = d.backend == "cpu" ? d.name : kernels::cpu_device_info().name;
  record_host_load(m);
  utsname u{};
  if (::uname(&u) == 0) m.os = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  m.git_commit = git_commit();
  m.trainbench_version = TB_VERSION;
  m.build_type = build_type();
  m.cpu_scaling_enabled = read_cpu_scaling("/sys/devices/system/cpu", m.host_cpus);
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) args.push_back(argv[i] ? argv[i] : "");
  m.command_line = argc > 0 ? shell_command_line(args) : own_command_line();
  m.utc_time = utc_now_iso8601();
  return m;
}

std::string shell_command_line(const std::vector<std::string>& args) {
  std::string line;
  for (const auto& a : args) {
    if (!line.empty()) line += ' ';
    const bool plain = !a.empty() && a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                         "0123456789_./:=,@%+-") == std::string::npos;
    if (plain) {
      line += a;
      continue;
    }
    line += '\'';
    for (char c : a) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

std::string own_command_line() {
  // Subcommand callbacks have no argv: Linux keeps it, NUL-separated, in /proc/self/cmdline.
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string arg; std::getline(in, arg, '\0');) args.push_back(arg);
  return shell_command_line(args);
}

}  // namespace tb::runner
