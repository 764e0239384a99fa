#pragma once
// "Is something wrong with this machine?": judges a short battery of measured kernels (large
// GEMMs, a streaming memory-bound op) against what healthy parts of the same SKU sustain, and
// against the throttling and noise flags the timing core recorded. Pure: the measuring is done
// by the caller (cli/cmd_health.cpp); tests feed synthetic results.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "harness/hardware/sku_config.hpp"
#include "harness/results/run_results.hpp"

namespace tb::health {

// Ordered by severity: the verdict is the worst status among the checks.
enum class Status { Info, Pass, Suspect, Fail };
const char* to_string(Status s);

struct Thresholds {
  // Best GEMM as a fraction of the SKU's sustained figure (mamf-finder): a healthy part measures
  // within a few percent of it; 10% below is a clock, power or cooling problem.
  double gemm_vs_sustained = 0.90;
  // Without a sustained figure, a fraction of the datasheet peak (--gemm-peak-threshold): healthy
  // parts sustain 80-87% of it (H100 SXM 795/989, A100 SXM 271/312), so under 60% is far outside
  // that. A separate figure, not gemm_vs_sustained applied to the peak: 90% of a datasheet peak is
  // more than healthy parts reach.
  double gemm_vs_peak = 0.60;
  // Streaming op's GB/s as a fraction of the datasheet bandwidth: HBM parts stream at 85-92% of
  // it; under 75% points at a memory or clock problem.
  double bandwidth_vs_datasheet = 0.75;
  // A CPU against the best GEMM and STREAM triad measured on it before: shared hosts and turbo move
  // these by a third (a VM's triad read 32-47 GB/s within an hour, quiet), so half is what a fault
  // looks like (cores offline, a memory channel down, a BLAS on one thread). Judged on a quiet
  // host only: a busy one is said, never judged (docs/health.md).
  double cpu_vs_remembered = 0.50;
  // Relative noise of a median (the stopping rule aims at 1%): above 5% after the time budget
  // means other work on the device or unstable clocks.
  double max_rel_noise = 0.05;
  // The robust noise above shrugs off a few slow samples, so spikes are judged on their own, by
  // two checks. `spikes`: a healthy GPU's slowest tenth is within a few percent of its median
  // (p90/median ≈ 1 + 1.28·cv, cv ≈ 1-2%); a clock dip from boost to base costs 20-40%. Suspect
  // when p90 is more than this fraction above the median (a tenth of the samples ran that much
  // slower). Also the least an outlier must cost to count in `outliers`, below.
  double max_tail = 0.10;
  // `outliers`: suspect when outliers (beyond timing::fence_half_width_ms of the median) exceed
  // this fraction of a kernel's samples, counting only a kernel with at least two of them (one is
  // an event, two a pattern) and the slowest at least max_tail above the median (smaller ones are
  // unusual but cost nothing).
  double max_outlier_fraction = 0.01;
};

struct Check {
  std::string id;        // results | gemm | memory_bandwidth | clocks | noise | spikes | outliers | load
  Status status = Status::Info;
  double measured = 0;   // in `unit`; 0 when not applicable
  double reference = 0;  // what `measured` is judged against, in `unit`; 0 when none
  std::string unit;
  std::string detail;    // one sentence a person can act on
  // Whether it judges the hardware's performance against a reference (gemm, memory_bandwidth,
  // peers): only such a check can make a verdict "pass"; results, noise and setup checks that
  // pass say nothing about the hardware being as fast as it should be.
  bool judges_performance = false;
  // A performance figure measured but left unjudged where it could have been judged (a CPU's
  // shortfall on a busy host; one of its figures with nothing remembered while the other is):
  // the verdict is then info at best, never "pass" on the other checks alone.
  bool left_unjudged = false;
};

inline Check make_check(const std::string& id, Status status, const std::string& unit) {
  Check c;
  c.id = id;
  c.status = status;
  c.unit = unit;
  return c;
}

struct Report {
  std::vector<Check> checks;
  Status verdict = Status::Info;
};

// What a CPU is judged against where it has no datasheet: the best an earlier run measured on this
// machine, kept in the peak cache (harness/hardware/peak_cache.hpp), as a GPU is judged against what
// healthy parts of its SKU sustain. Not the estimated compute peak (cores x clock x SIMD width): a
// CPU's BLAS may never reach it (OpenBLAS's AVX2 kernels on an AVX-512 core reach half), so its
// GEMMs are judged against the best GEMM health measured here before. 0: nothing was remembered, so
// that figure is shown, not judged (a first run has only itself to go by).
struct RememberedCpuPeaks {
  double gemm_tflops = 0;  // the best GEMM of health's battery remembered (this run's included)
  double stream_gbps = 0;  // the highest STREAM triad remembered (this run's included)
  std::string file;        // the cache file, named in the checks
  // A best GEMM remembered more than kUnbelievablePeakRatio times this run's: kept, and judged.
  double gemm_far_above = 0;
};

struct Inputs {
  std::vector<results::KernelResult> gemms;      // the GEMM battery, one dtype
  std::vector<results::KernelResult> streaming;  // memory-bound ops measured in GB/s
  std::optional<SkuConfig> sku;
  bool peaks_estimated = false;  // the CPU pseudo-SKU: no datasheet, so no verdict from peaks
  // The CPU backend, with or without --sku: its samples share the cores with everything else on
  // the machine, so noise, spikes and outliers say how busy the host is, not that a part is
  // faulty; they are shown, not judged, even where --sku judges its GEMMs against a GPU's figures.
  bool cpu_backend = false;
  std::string gemm_dtype;        // for the sustained-figure lookup
  std::optional<double> load_avg_1m;  // the host's, when the check started
  int host_cpus = 0;
  // With peaks_estimated: the CPU's remembered figures, against which `gemm` and `memory_bandwidth`
  // are judged (--gemm-threshold, --bandwidth-threshold); absent: shown, not judged.
  std::optional<RememberedCpuPeaks> remembered;
  // The fraction of the default SM clock the samples were judged throttled under
  // (--throttle-threshold): what the clocks check names.
  double throttle_threshold = 0.75;
};

// A host whose 1-minute load average is at least this fraction of its logical CPUs is busy:
// other processes compete with the measurement (the CPU backend's kernels, the GPU's launches).
inline constexpr double kBusyHostLoadPerCpu = 0.5;
bool host_busy(std::optional<double> load_avg_1m, int host_cpus);

Report evaluate(const Inputs& in, const Thresholds& t = {});

// The battery's best verified GEMM TFLOP/s and streaming GB/s (0 when none ran cleanly): what
// `gemm` and `memory_bandwidth` judge, and what --all-gpus compares between cards.
double best_gemm_tflops(const Inputs& in);
double best_stream_gbps(const Inputs& in);

// The worst status among the checks, except that "pass" needs a passing check that judges
// performance, and no performance check left_unjudged: otherwise the verdict is "info".
Status verdict_of(const std::vector<Check>& checks);

// Appends a check and recomputes the verdict.
void add_check(Report& report, Check check);

nlohmann::json to_json(const Report& report);

}  // namespace tb::health
