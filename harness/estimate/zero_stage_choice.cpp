#include "harness/estimate/zero_stage_choice.hpp"

#include <fmt/format.h>

#include "harness/estimate/memory_footprint.hpp"

namespace tb {

std::vector<int> zero_stages_to_try(std::optional<int> pinned, int64_t replicas) {
  if (pinned) return {*pinned};
  if (replicas <= 1) return {0};
  return {1, 2, 3};
}

namespace {

std::string gib(double bytes) { return fmt::format("{:.1f} GiB", bytes / gib_to_bytes(1)); }

}  // namespace

std::string zero_stage_reason(const std::vector<ZeroStageTry>& tried, std::optional<int> pinned, bool keep_gathered,
                              int64_t replicas, double capacity_gib, const std::string& capacity_text) {
  if (tried.empty()) return "";
  const ZeroStageTry& kept = tried.back();
  if (pinned)
    return keep_gathered ? "ZeRO-3 with the weights kept gathered, as --zero 3 --zero3-keep-gathered pin it"
                         : fmt::format("ZeRO-{}, as --zero pins it", *pinned);
  if (replicas <= 1) return "ZeRO-0: dp x cp = 1, no replicas to shard over";
  const std::string limit = fmt::format("{} ({:.0f}% of {})", gib(kTightFraction * gib_to_bytes(capacity_gib)),
                                        100 * kTightFraction, capacity_text);
  if (tried.size() == 1)
    return kept.fits ? fmt::format("ZeRO-1 fits at {}, under {}: the least traffic", gib(kept.peak_bytes), limit)
                     : fmt::format("ZeRO-1 does not fit: {} > {}", gib(kept.peak_bytes), limit);
  std::string out;
  const size_t failed = kept.fits ? tried.size() - 1 : tried.size();
  if (failed == 1) {
    out = fmt::format("ZeRO-{} does not fit: {} > {}", tried[0].stage, gib(tried[0].peak_bytes), limit);
  } else {
    for (size_t i = 0; i < failed; ++i)
      out += fmt::format("{}ZeRO-{} ({})", i == 0 ? "" : i + 1 == failed ? " and " : ", ", tried[i].stage,
                         gib(tried[i].peak_bytes));
    out += fmt::format(" do not fit: > {}", limit);
  }
  if (kept.fits) out += fmt::format("; ZeRO-{} fits at {}", kept.stage, gib(kept.peak_bytes));
  return out;
}

}  // namespace tb
