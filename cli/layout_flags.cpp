#include "cli/layout_flags.hpp"

#include <fmt/format.h>

#include "harness/common/errors.hpp"
#include "harness/workload/workload.hpp"

namespace tb::cli {

void add_layout_flags(CLI::App* cmd, std::string& layout, std::optional<int64_t>& global_batch) {
  cmd->add_option("--layout", layout,
                  "auto: the fastest tp x cp x pp x dp layout on --gpus (or the fewest servers for --days) that fits the "
                  "SKU's memory, with its communication cost, instead of ideal scaling");
  cmd->add_option("--global-batch", global_batch,
                  "Sequences per step, for --layout auto or a hand-given layout's micro-batches (default: the "
                  "model's published batch)");
}

bool parse_layout_flag(const std::string& layout, const std::optional<int64_t>& global_batch) {
  if (!layout.empty() && layout != "auto")
    throw UsageError(fmt::format("--layout must be auto (got '{}')", layout));
  if (global_batch && layout.empty())
    throw UsageError("--global-batch sizes the layout search (and in estimate a --tp/--pp/--dp layout's "
                     "micro-batches): give --layout auto, or such a layout");
  if (global_batch && *global_batch <= 0)
    throw UsageError(fmt::format("--global-batch must be a positive number of sequences (got {})", *global_batch));
  return layout == "auto";
}

void add_recompute_flag(CLI::App* cmd, std::string& recompute) {
  cmd->add_option("--recompute", recompute,
                  "Activation recomputation in the extrapolation: none, selective, full; auto (with --layout auto) "
                  "tries none and full (and selective with unfused attention)")
      ->capture_default_str();
}

void refuse_days_with_gpus(bool days_given, bool gpus_given) {
  if (days_given && gpus_given)
    throw UsageError("--days asks how many GPUs finish in time; --gpus fixes the count: give one of them");
}

std::string checked_recompute_flag(const std::string& recompute, bool layout_search) {
  if (recompute == "auto") {
    if (!layout_search)
      throw UsageError("--recompute auto lets the layout search choose: give --layout auto too, or none, selective, full");
    return recompute;
  }
  parse_recompute(recompute, "--recompute");
  return recompute;
}

}  // namespace tb::cli
