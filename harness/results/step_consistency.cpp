#include "harness/results/step_consistency.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "harness/common/errors.hpp"

namespace tb::results {

namespace {

// Written and read back as JSON doubles, the fields round-trip exactly; this much slack covers a
// writer that sums in another order.
constexpr double kRelTolerance = 1e-6;

bool close(double a, double b) { return std::abs(a - b) <= kRelTolerance * std::max(std::abs(b), 1e-12); }

[[noreturn]] void refuse(const std::string& origin, const std::string& what) {
  throw UsageError(fmt::format("{}: {}; the file was edited or written wrongly", origin, what));
}

}  // namespace

void require_consistent_step(const RunResults& r, const std::string& origin) {
  if (!r.step) return;
  const StepResult& s = *r.step;
  double step_ms = 0;
  for (const auto& k : r.kernels)
    if (k.status == "ok") step_ms += static_cast<double>(k.calls_per_step) * k.stats.median_ms;
  if (s.step_ms > 0 && !close(s.step_ms, step_ms))
    refuse(origin, fmt::format("step.step_ms {} is not the sum of calls_per_step x median_ms over its measured "
                               "kernels ({})",
                               s.step_ms, step_ms));
  if (s.mfu > 1)
    refuse(origin, fmt::format("step.mfu {} is above 1: the step cannot run faster than the peak "
                               "(machine.peak_tflops {})",
                               s.mfu, r.machine.peak_tflops));
  if (s.hfu > 0 && s.mfu > s.hfu * (1 + kRelTolerance))
    refuse(origin, fmt::format("step.mfu {} exceeds step.hfu {}: the model's FLOPs are a part of the hardware's",
                               s.mfu, s.hfu));
  const double peak = r.machine.peak_tflops;
  if (!(s.step_ms > 0) || !(peak > 0)) return;
  auto check = [&](const char* field, double recorded, double flops, const char* flops_field) {
    if (!(recorded > 0) || !(flops > 0)) return;
    const double expected = flops / (s.step_ms * 1e-3) / (peak * 1e12);
    if (!close(recorded, expected))
      refuse(origin, fmt::format("step.{} {} is not step.{} / step time / machine.peak_tflops ({:.6g})", field,
                                 recorded, flops_field, expected));
  };
  check("mfu", s.mfu, s.model_flops, "model_flops");
  check("hfu", s.hfu, s.hardware_flops, "hardware_flops");
}

}  // namespace tb::results
