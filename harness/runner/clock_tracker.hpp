#pragma once
// The clock readings of one kernel's timed samples, judged by nvbench's throttle rule
// (nvbench/detail/measure_cold.cu): a sample ran throttled when the SM clock read after it was
// under a threshold (0.75 by default) of the device's default clock. measure_op discards such a
// sample and takes another (timing/measure_loop.hpp); the summary covers the kept samples only.
#include <cstdint>
#include <optional>
#include <vector>

#include "harness/results/run_results.hpp"
#include "kernels/backend.hpp"

namespace tb::runner {

class ClockTracker {
 public:
  // `reference_mhz`: the device's default (maximum) SM clock, 0 where unknown; a reading above it
  // raises the reference, so an unknown one is the highest reading yet.
  ClockTracker(double reference_mhz, double threshold);

  // Records the reading taken after a sample (nullopt: the backend reads no clocks) and says
  // whether that sample ran throttled. Without a reading it never did.
  bool record(const std::optional<kernels::ClockReading>& reading);

  // Over the readings of the kept samples (`kept[i]` for the i-th sample recorded: LoopResult's
  // kept); nullopt without any reading. clock_dropped: a kept sample ran throttled (the discards
  // ran out: measure_loop's may_discard), or the lowest kept reading is under the threshold of
  // the highest reference. Throttle reasons come from every reading, discarded samples' included:
  // they say why there were discards.
  std::optional<results::ClockSummary> summary(const std::vector<bool>& kept, int64_t discarded) const;

 private:
  struct Recorded {
    std::optional<kernels::ClockReading> reading;
    bool throttled = false;
  };
  double reference_mhz_;
  double threshold_;
  std::vector<Recorded> recorded_;
};

}  // namespace tb::runner
