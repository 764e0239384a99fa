#pragma once
// The device's clocks, power and temperature for every timed sample, read from the device at most
// once per interval and repeated in between. measure_op takes a reading after each sample; a
// kernel of a few microseconds is sampled thousands of times a second, and each NVML query is a
// round trip into the driver on the host, while the clocks and power it reports move far slower.
// One reader per kernel, so a kernel's first sample always gets a reading of its own.
#include <chrono>
#include <functional>
#include <optional>

#include "kernels/backend.hpp"

namespace tb::runner {

// Twenty readings a second still follow every change a kernel's samples can show: on Ampere
// (but GA100) and newer GPUs, Hopper included, NVML's power is itself an average over 1 s
// (nvmlDeviceGetPowerUsage's documentation).
inline constexpr std::chrono::milliseconds kClockReadInterval{50};

class PacedClockReader {
 public:
  using Read = std::function<std::optional<kernels::ClockReading>()>;
  using Now = std::function<std::chrono::steady_clock::time_point()>;

  explicit PacedClockReader(Read read, std::chrono::milliseconds interval = kClockReadInterval,
                            Now now = std::chrono::steady_clock::now);
  // A fresh reading when the interval has passed since the last one (or on the first call),
  // else the last one again.
  std::optional<kernels::ClockReading> reading();
  // The next reading() reads afresh: after a throttled sample's recovery pause, the reading that
  // judged it throttled must not judge the next sample too.
  void expire();

 private:
  Read read_;
  std::chrono::milliseconds interval_;
  Now now_;
  std::optional<std::chrono::steady_clock::time_point> last_read_;
  std::optional<kernels::ClockReading> last_;
};

}  // namespace tb::runner
