#include "cli/timing_flags.hpp"

#include <fmt/format.h>


#include "cli/quantity_parse.hpp"
#include "harness/common/errors.hpp"

namespace tb::cli {

TimingFlags timing_flags_from(const timing::TimingPolicy& p) {
  TimingFlags f;
  f.noise = fmt::format("{}%", p.target_rel_noise * 100);
  f.min_samples = p.min_samples;
  f.max_samples = p.max_samples;
  f.min_time_s = p.min_time_s;
  f.max_time_s = p.max_time_s;
  f.warmup = p.warmup_launches;
  f.throttle_threshold = p.throttle_threshold;
  f.throttle_recovery_delay_s = p.throttle_recovery_delay_s;
  return f;
}

void add_timing_flags(CLI::App* cmd, TimingFlags& f) {
  const std::string group = "Timing";
  cmd->add_option("--noise", f.noise, "Stop when the median's relative standard error is below this (1% or 0.01)")
      ->capture_default_str()->group(group);
  cmd->add_option("--min-samples", f.min_samples, "Samples before the noise test may stop")
      ->capture_default_str()->group(group);
  cmd->add_option("--max-samples", f.max_samples, "Stop after this many samples")->capture_default_str()->group(group);
  cmd->add_option("--min-time", f.min_time_s, "Seconds of samples before the noise test may stop (<= --max-time)")
      ->capture_default_str()
      ->group(group)
      ->each([&f](const std::string&) { f.min_time_given = true; });
  cmd->add_option("--max-time", f.max_time_s, "Time budget per kernel in seconds (then stop, flagged)")
      ->capture_default_str()
      ->group(group)
      ->each([&f](const std::string&) { f.max_time_given = true; });
  cmd->add_option("--warmup", f.warmup, "Uncounted launches before sampling (0 to 10000; stops early at --max-time)")->capture_default_str()->group(group);
}

void add_throttle_flags(CLI::App* cmd, TimingFlags& f) {
  const std::string group = "Timing";
  cmd->add_option("--throttle-threshold", f.throttle_threshold,
                  "Discard a sample taken with the SM clock under this fraction of the default clock, and retake "
                  "it (0 to 1; 0 never discards; nvbench's rule)")
      ->capture_default_str()
      ->group(group);
  cmd->add_option("--throttle-recovery-delay", f.throttle_recovery_delay_s,
                  "Seconds to pause after a throttled sample before the next (0 to 60)")
      ->capture_default_str()
      ->group(group);
}

double parse_fraction(const std::string& text, const std::string& flag) {
  std::string t = text;
  const bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  const std::optional<double> v = parse_finite_number(t);
  if (!v)
    throw UsageError(fmt::format("{}: '{}' is not a number; give a fraction (0.01) or a percentage (1%)", flag, text));
  return percent ? *v / 100 : *v;
}

timing::TimingPolicy to_policy(const TimingFlags& f) {
  timing::TimingPolicy p;
  p.target_rel_noise = parse_fraction(f.noise, "--noise");
  p.min_samples = f.min_samples;
  p.max_samples = f.max_samples;
  p.min_time_s = f.min_time_s;
  p.max_time_s = f.max_time_s;
  // A negative figure is refused as given, before the other is derived from it (a --max-time of
  // -1 would otherwise surface as a --min-time of -0.5).
  if (!(f.max_time_s > 0))
    throw UsageError(fmt::format("--max-time must be > 0 seconds (got {})", f.max_time_s));
  if (!(f.min_time_s >= 0))
    throw UsageError(fmt::format("--min-time must be >= 0 seconds (got {})", f.min_time_s));
  // One figure given against the other's default: the given one wins. `--max-time 0.2` alone
  // leaves half of it for the noise test to converge in (as within_budget does); `--min-time 20`
  // alone raises the budget to it. Only two explicit, contradictory figures are refused
  // (timing::validate).
  if (p.min_time_s > p.max_time_s) {
    if (!f.min_time_given) p.min_time_s = p.max_time_s / 2;
    else if (!f.max_time_given) p.max_time_s = p.min_time_s;
  }
  p.warmup_launches = f.warmup;
  p.throttle_threshold = f.throttle_threshold;
  p.throttle_recovery_delay_s = f.throttle_recovery_delay_s;
  timing::validate(p);
  return p;
}

}  // namespace tb::cli
