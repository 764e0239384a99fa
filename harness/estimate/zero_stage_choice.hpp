#pragma once
// Which ZeRO stage a layout of the search trains with, and the one line that says why. Unless
// --zero pins one, the search tries ZeRO-1, 2 and 3 in turn on every layout with data-parallel
// replicas (dp·cp > 1) and keeps the lowest that fits memory: each stage moves at least the
// traffic of the one below (docs/comm.md: 1 and 1, m and 1, m and 2m reduce-scatters and
// all-gathers) and needs no more memory, so on one layout the lowest that fits is the fastest.
// Across layouts the communication model still weighs a higher stage's traffic against, say,
// fewer pipeline stages. ZeRO-3 with its weights kept gathered is never tried unasked: under the
// peak-memory model it holds as much as ZeRO-2 and moves more (docs/memory.md).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tb {

// One stage tried on one layout: its fuller pipeline stage's memory per GPU, and whether that fits.
struct ZeroStageTry {
  int stage = 0;
  double peak_bytes = 0;
  bool fits = false;
};

// The stages to try, lowest first: the pinned one; else 0 where nothing replicates the weights
// (dp·cp = 1), 1, 2 and 3 otherwise.
std::vector<int> zero_stages_to_try(std::optional<int> pinned, int64_t replicas);

// Why the last of `tried` (lowest first) was kept, e.g. "ZeRO-1 does not fit: 76.7 GiB > 71.7 GiB
// (90% of 79.65 GiB usable of 80); ZeRO-2 fits at 70.3 GiB". `capacity_gib` is what fits are
// judged against, `capacity_text` how the SKU names it; the limit is the "tight" margin of it.
std::string zero_stage_reason(const std::vector<ZeroStageTry>& tried, std::optional<int> pinned, bool keep_gathered,
                              int64_t replicas, double capacity_gib, const std::string& capacity_text);

}  // namespace tb
