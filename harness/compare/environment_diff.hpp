#pragma once
// What changed between two runs' machines: driver, CUDA, cuBLAS, NCCL, BLAS, clocks, the
// trainbench build, and each kernel's algorithm. A nightly regression is root-caused by this list
// first. With several runs a side every file counts, not the first: one baseline run on another
// driver is as much a suspect as the current side's.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/results/run_results.hpp"

namespace tb::compare {

struct EnvironmentChange {
  std::string field;     // as the results file names it, e.g. "cublas_version", or "algorithm"
  std::string baseline;  // "" when the baseline did not record it; "a | b" when its runs differ
  std::string current;
  std::string kernel;    // kernel_key() for a kernel's "algorithm"; "" for the machine's fields
};

// In a fixed order (software first, then hardware and build); empty when nothing differs. A
// field is changed when the sides' sets of values differ; measured figures that move from run to
// run (clocks, a CPU's estimated peak) only when their ranges do not overlap.
std::vector<EnvironmentChange> environment_changes(const std::vector<results::MachineInfo>& baseline,
                                                   const std::vector<results::MachineInfo>& current);
std::vector<EnvironmentChange> environment_changes(const results::MachineInfo& baseline,
                                                   const results::MachineInfo& current);

// One side's files that disagree among themselves (a git commit, a BLAS or driver version, a busy
// host): "the baseline's runs differ in git_commit: 'abc' (b1.json, b2.json), 'def' (b3.json)".
// Measured figures that move from run to run are left out. `side` is "baseline" or "current".
std::vector<std::string> mixed_environment_notes(const std::string& side, const std::vector<std::string>& origins,
                                                 const std::vector<results::MachineInfo>& machines);

// The host's load per CPU (load_avg_1m / host_cpus) is shown busy or quiet (busy from
// health::kBusyHostLoadPerCpu); where both sides are in one bucket, still a change on a busy host
// when the sides' median loads per CPU are this factor or more apart (1.4..2.3, median 1.8, against
// 2.9..4.3, median 3.5): each run's threads get that much less of the CPUs. Runs of one setup drift
// less (back-to-back CPU runs here: 1.50..1.71 per CPU); two extra busy threads on 2 CPUs moved the
// median 1.67 -> 2.23 (1.34x) while the 1-minute average still lagged behind them.
inline constexpr double kLoadFactor = 1.25;

// "all runs ran on a busy host (...): differences may be load, not code" where every run of both
// sides recorded a busy host; nullopt otherwise.
std::optional<std::string> busy_host_note(const std::vector<results::MachineInfo>& baseline,
                                          const std::vector<results::MachineInfo>& current);

// The timing rule the kernels were measured under (workload.timing: budget_s, noise target,
// min/max samples and time, warm-up), each file's (nullopt: not recorded), as environment
// changes named "timing.<field>": another rule changes what a median means (a budget cut short
// stops a kernel before its noise target), so it is a suspect like a new driver. Values as
// printed, "(not recorded)" for a file without one.
std::vector<EnvironmentChange> timing_changes(const std::vector<std::optional<results::TimingInfo>>& baseline,
                                              const std::vector<std::optional<results::TimingInfo>>& current);
// One side's files measured under different timing rules, one note per field.
std::vector<std::string> mixed_timing_notes(const std::string& side, const std::vector<std::string>& origins,
                                            const std::vector<std::optional<results::TimingInfo>>& timings);

// A kernel's algorithm (the cuBLASLt algorithm, "cpu tiled flash-style" or "cpu unfused") per
// side: each run's (its file, its algorithm), keyed by kernel_key(). Changed when the sides' sets
// of recorded (non-empty) algorithms differ; a kernel whose side recorded none is not compared.
using AlgorithmsByKernel = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;
std::vector<EnvironmentChange> algorithm_changes(const AlgorithmsByKernel& baseline, const AlgorithmsByKernel& current);
// Kernels whose runs within one side ran different algorithms, one note each.
std::vector<std::string> mixed_algorithm_notes(const std::string& side, const AlgorithmsByKernel& algorithms);

}  // namespace tb::compare
