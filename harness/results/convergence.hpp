#pragma once
// Which measured kernels stopped before their noise reached the target (kernels[].stop_reason,
// rel_noise; docs/results-schema.md): their medians are weaker evidence. One rule for the
// measuring commands' note (cli/convergence_note.hpp) and the report's list.
#include <optional>

#include "harness/results/run_results.hpp"

namespace tb::results {

// An "ok" kernel not stopped by convergence whose noise is above `target_rel_noise` (a fraction);
// one sampled once has no spread to measure its noise by and counts too. Without a target (a file
// that records no workload.timing) every "ok" kernel stopped by anything but convergence counts.
bool stopped_short(const KernelResult& kernel, std::optional<double> target_rel_noise);

// The file's target: workload.timing.noise, where it records its stopping rule.
std::optional<double> noise_target(const RunResults& run);

}  // namespace tb::results
