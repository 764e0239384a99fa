#pragma once
// What changed between two runs' machines: driver, CUDA, cuBLAS, NCCL, BLAS, clocks, the
// trainbench build. A nightly regression is root-caused by this list first.
#include <string>
#include <vector>

#include "harness/results/run_results.hpp"

namespace tb::compare {

struct EnvironmentChange {
  std::string field;     // as the results file names it, e.g. "cublas_version"
  std::string baseline;  // "" when the baseline did not record it
  std::string current;
};

// In a fixed order (software first, then hardware and build); empty when nothing differs.
std::vector<EnvironmentChange> environment_changes(const results::MachineInfo& baseline,
                                                   const results::MachineInfo& current);

}  // namespace tb::compare
