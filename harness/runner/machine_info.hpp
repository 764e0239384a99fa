#pragma once
// Provenance for every results file: device, driver, library versions, clocks, host, git
// commit, command line and UTC time.
#include <optional>
#include <string>
#include <vector>

#include "harness/hardware/peak_cache.hpp"
#include "harness/hardware/sku_config.hpp"
#include "harness/results/run_results.hpp"
#include "harness/timing/stopping_rule.hpp"
#include "kernels/backend.hpp"

namespace tb::runner {

results::MachineInfo collect_machine_info(const kernels::Backend& backend, int argc, char** argv);
// The host's 1-minute load average (/proc/loadavg; left unset where it cannot be read) and its
// logical CPUs, now: what the gate's busy-host rule reads (harness/compare/host_conditions.hpp).
// Every command that writes a results file records them, `comm` included.
void record_host_load(results::MachineInfo& machine);
// Which peaks a command's percentages need. A CPU's memory bandwidth is measured (a STREAM
// triad, a few hundred milliseconds), so only commands that time memory-bound kernels ask for it.
enum class PeaksNeeded { compute, compute_and_memory };
// The SKU config for this backend's device: matched by device name, or the CPU pseudo-SKU
// (none: peaks unknown) — `override_name` (--sku) wins. The CPU's triad runs at most once per
// process, on the first call that needs it.
std::optional<SkuConfig> sku_for(const kernels::DeviceInfo& info, const std::string& override_name,
                                 PeaksNeeded needed);
// A note for stderr on the SKU behind the figures: where --sku makes them another device's (a GPU
// datasheet laid over the CPU backend: its % of peak, MFU, memory and power then that GPU's, and
// the results file records that SKU; or a SKU other than the one the GPU's name matched), or,
// without --sku, where a GPU's name matches no SKU config exactly (unmatched_sku_note: a variant
// such as the H200 NVL is an unknown GPU, not the H200 SXM). Empty otherwise.
std::string sku_note(const kernels::DeviceInfo& info, const std::string& override_name);
// The CPU's STREAM triad as sku_for measured it and the peak cache answered (this run's own
// figure, the remembered one, the file); nullopt where no call of sku_for asked for memory peaks.
std::optional<RememberedPeak> local_cpu_bandwidth();
// Records which SKU's peaks a results file's percentages refer to ("" and 0 without one), and
// where they came from (machine.peak_source; for the CPU pseudo-SKU this run's own clock and
// triad beside the remembered ones: machine.measured_clock_mhz, machine.measured_memory_tb_s).
void record_sku(results::MachineInfo& machine, const std::optional<SkuConfig>& sku, DType dtype);
// machine.peak_source for `sku`: "sku NAME"; for the CPU pseudo-SKU "cpu estimate, this run", or
// "cpu estimate, the highest on this machine so far (FILE)" where the clock or the bandwidth used
// is the peak cache's; "" without a SKU. Pure: record_sku passes this process's figures.
std::string peak_source(const std::optional<SkuConfig>& sku, bool clock_from_cache, bool bandwidth_from_cache,
                        const std::string& cache_file);
std::string utc_now_iso8601();
// The arguments as one line a shell runs as given: a word with spaces, quotes or other shell
// characters single-quoted ("--out '/tmp/a b.json'"), an empty one as ''.
std::string shell_command_line(const std::vector<std::string>& args);
// This process's arguments (/proc/self/cmdline), as shell_command_line writes them.
std::string own_command_line();
std::string git_commit();  // of the source tree trainbench was built from, "unknown" outside git
std::string build_type();  // CMAKE_BUILD_TYPE it was built with ("Release"), "None" where CMake had none

// The stopping rule as the results file records it (workload.timing). The throttle rule only for
// a device whose backend reads clocks (`backend` "cuda"): on the CPU nothing is ever discarded,
// and a CPU run's timing rule stays comparable with older files'.
results::TimingInfo timing_info(const timing::TimingPolicy& policy, const std::string& backend, double budget_s = 0);

}  // namespace tb::runner
