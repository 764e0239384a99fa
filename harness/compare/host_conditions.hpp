#pragma once
// The regression gate where too few runs measure run-to-run variance: what the results record of
// the host's load decides whether a slowdown can be told from it (docs/compare.md).
#include <vector>

#include "harness/compare/regression.hpp"
#include "harness/results/run_results.hpp"

namespace tb::compare {

// Where run-to-run variance was not measured (fewer than 3 runs on a side), a slowdown may be the
// host's load, not the code, where the results record that the load could have done it: the load
// differs between the sides (the environment's host_load: busy against quiet, or busy loads 1.25x
// apart), or, on the CPU backend, whose kernels share their cores with every other process, a run
// of either side started on a busy host (health::host_busy, the flag CPU health judges by). One
// busy start once read "norm.bwd 1638% slower, p = 5.6e-09" between identical builds. Such an
// item is inconclusive, not a regression; a failed kernel stays a regression whatever the load.
void hold_slowdowns_on_another_load(RegressionReport& report, const std::vector<results::MachineInfo>& baseline,
                                    const std::vector<results::MachineInfo>& current);

}  // namespace tb::compare
