#pragma once
// The timing flags every measuring command shares (gemm, sweep, attention, run), mapped onto
// timing::TimingPolicy. Defaults follow nvbench (stopping_rule.hpp); a command may start from
// other defaults (sweep measures hundreds of shapes, so it asks for less time per shape).
#include <CLI/CLI.hpp>

#include <string>

#include "harness/timing/stopping_rule.hpp"

namespace tb::cli {

struct TimingFlags {
  std::string noise = "1%";  // "1%" or "0.01"
  int64_t min_samples = 10;
  int64_t max_samples = 10000;
  double min_time_s = 0.5;
  double max_time_s = 15;
  int warmup = 1;
  double throttle_threshold = 0.75;
  double throttle_recovery_delay_s = 0.05;
  bool min_time_given = false;  // set by parsing: a default --min-time yields to a shorter --max-time
  bool max_time_given = false;  // ... and a default --max-time to a longer --min-time
};

TimingFlags timing_flags_from(const timing::TimingPolicy& defaults);

// Adds --noise, --min-samples, --max-samples, --min-time, --max-time, --warmup bound to `flags`
// (which must outlive parsing: keep it in the command's shared flags struct).
void add_timing_flags(CLI::App* cmd, TimingFlags& flags);

// Adds --throttle-threshold and --throttle-recovery-delay bound to `flags`: for the commands whose
// kernels go through measure_op, which reads the clocks after each sample and discards a
// throttled one (harness/runner/clock_tracker.hpp). Not comm: its collectives read no clocks.
void add_throttle_flags(CLI::App* cmd, TimingFlags& flags);

// Validated policy; a bad value is a UsageError naming the flag.
timing::TimingPolicy to_policy(const TimingFlags& flags);

// "1%" → 0.01, "0.01" → 0.01; anything else is a UsageError naming `flag`.
double parse_fraction(const std::string& text, const std::string& flag);

}  // namespace tb::cli
