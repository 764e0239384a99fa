#include "harness/runner/clock_tracker.hpp"

#include <algorithm>
#include <set>
#include <string>

namespace tb::runner {

ClockTracker::ClockTracker(double reference_mhz, double threshold)
    : reference_mhz_(reference_mhz), threshold_(threshold) {}

bool ClockTracker::record(const std::optional<kernels::ClockReading>& reading) {
  Recorded rec{reading, false};
  if (reading) {
    reference_mhz_ = std::max(reference_mhz_, reading->sm_clock_mhz);
    rec.throttled = reference_mhz_ > 0 && reading->sm_clock_mhz < threshold_ * reference_mhz_;
  }
  recorded_.push_back(rec);
  return rec.throttled;
}

std::optional<results::ClockSummary> ClockTracker::summary(const std::vector<bool>& kept, int64_t discarded) const {
  std::vector<const Recorded*> used;
  std::set<std::string> reasons;
  for (size_t i = 0; i < recorded_.size(); ++i) {
    const Recorded& rec = recorded_[i];
    if (!rec.reading) continue;
    if (!rec.reading->throttle_text.empty()) reasons.insert(rec.reading->throttle_text);
    if (i < kept.size() && kept[i]) used.push_back(&rec);
  }
  if (used.empty()) return std::nullopt;
  results::ClockSummary s;
  s.sm_clock_mhz_min = s.sm_clock_mhz_max = used.front()->reading->sm_clock_mhz;
  bool kept_throttled = false;
  for (const Recorded* rec : used) {
    const kernels::ClockReading& r = *rec->reading;
    s.sm_clock_mhz_min = std::min(s.sm_clock_mhz_min, r.sm_clock_mhz);
    s.sm_clock_mhz_max = std::max(s.sm_clock_mhz_max, r.sm_clock_mhz);
    s.power_w_max = std::max(s.power_w_max, r.power_w);
    s.power_w_mean += r.power_w / static_cast<double>(used.size());
    kept_throttled = kept_throttled || rec->throttled;
  }
  s.clock_dropped = kept_throttled || (reference_mhz_ > 0 && s.sm_clock_mhz_min < threshold_ * reference_mhz_);
  s.throttled_samples_discarded = discarded;
  for (const auto& t : reasons) s.throttle_reasons += (s.throttle_reasons.empty() ? "" : ";") + t;
  return s;
}

}  // namespace tb::runner
