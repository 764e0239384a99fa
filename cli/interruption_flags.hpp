#pragma once
// --mtbf-gpu-hours, --checkpoint-s, --restart-s, --checkpoint-interval-s, shared by estimate,
// compare and report: interruptions at scale added to the extrapolation's time
// (harness/estimate/goodput.hpp, docs/interruptions.md).
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "harness/estimate/goodput.hpp"

namespace tb::cli {

struct InterruptionFlags {
  std::string mtbf;  // GPU-hours, or llama3
  std::optional<double> checkpoint_s, restart_s, checkpoint_interval_s;
};

void add_interruption_flags(CLI::App* cmd, InterruptionFlags& flags);

// Nothing without --mtbf-gpu-hours (and then the other three are refused: they would be
// ignored); a malformed or non-positive figure is a UsageError naming its flag.
std::optional<InterruptionModel> parse_interruption_flags(const InterruptionFlags& flags);

// The names above, for a mode that reads none of them.
inline const std::vector<std::string>& interruption_flag_names() {
  static const std::vector<std::string> names{"--mtbf-gpu-hours", "--checkpoint-s", "--restart-s",
                                              "--checkpoint-interval-s"};
  return names;
}

}  // namespace tb::cli
