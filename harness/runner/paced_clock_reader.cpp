#include "harness/runner/paced_clock_reader.hpp"

#include <utility>

namespace tb::runner {

PacedClockReader::PacedClockReader(Read read, std::chrono::milliseconds interval, Now now)
    : read_(std::move(read)), interval_(interval), now_(std::move(now)) {}

std::optional<kernels::ClockReading> PacedClockReader::reading() {
  const auto now = now_();
  if (!last_read_ || now - *last_read_ >= interval_) {
    last_ = read_();
    last_read_ = now;
  }
  return last_;
}

void PacedClockReader::expire() { last_read_.reset(); }

}  // namespace tb::runner
