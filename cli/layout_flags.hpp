#pragma once
// `--layout auto` and `--global-batch`, shared by estimate, compare and report: search the parallel
// layouts that fit the SKU's memory (harness/estimate/layout_search.hpp) instead of assuming
// ideal scaling.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace tb::cli {

void add_layout_flags(CLI::App* cmd, std::string& layout, std::optional<int64_t>& global_batch);
// True for "auto", false for ""; anything else, a --global-batch without --layout auto, or a
// non-positive batch is a UsageError naming the flag.
bool parse_layout_flag(const std::string& layout, const std::optional<int64_t>& global_batch);

// --recompute for compare and report: none, selective, full, or auto (with --layout auto: the
// search tries all three). Returns the text checked; a UsageError names the flag otherwise.
void add_recompute_flag(CLI::App* cmd, std::string& recompute);
// A deadline sizes the GPU count; --gpus fixes it: given both, a UsageError says to pick one.
void refuse_days_with_gpus(bool days_given, bool gpus_given);
std::string checked_recompute_flag(const std::string& recompute, bool layout_search);

}  // namespace tb::cli
