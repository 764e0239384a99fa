#include "harness/estimate/goodput.hpp"

#include <fmt/format.h>

#include <cmath>

#include "harness/common/errors.hpp"
#include "harness/common/human_format.hpp"

namespace tb {

// Unexpected interruptions only (goodput.hpp): 54 x 24 x 16,384 / 419 = 50,677.0 GPU-hours.
double llama3_gpu_mtbf_hours() { return kLlama3SnapshotDays * 24.0 * kLlama3Gpus / kLlama3UnexpectedInterruptions; }

double daly_optimal_interval_s(double checkpoint_s, double job_mtbf_s) {
  if (checkpoint_s >= 2.0 * job_mtbf_s) return job_mtbf_s;
  const double x = checkpoint_s / (2.0 * job_mtbf_s);
  return std::sqrt(2.0 * checkpoint_s * job_mtbf_s) * (1.0 + std::sqrt(x) / 3.0 + x / 9.0) - checkpoint_s;
}

Goodput goodput(const InterruptionModel& m, int64_t gpus, double training_s) {
  auto check = [](double v, const char* flag, const char* what) {
    if (!std::isfinite(v) || v <= 0)
      throw UsageError(fmt::format("{} must be a positive number of {} (got {})", flag, what, v));
  };
  check(m.gpu_mtbf_hours, "--mtbf-gpu-hours", "GPU-hours (or llama3)");
  check(m.checkpoint_s, "--checkpoint-s", "seconds");
  check(m.restart_s, "--restart-s", "seconds");
  if (m.checkpoint_interval_s) check(*m.checkpoint_interval_s, "--checkpoint-interval-s", "seconds");
  if (gpus < 1) throw UsageError("the interruption model needs the GPU count: --gpus, --days or a layout");

  Goodput g;
  g.gpus = gpus;
  g.job_mtbf_s = m.gpu_mtbf_hours * 3600.0 / static_cast<double>(gpus);
  g.interval_optimal = !m.checkpoint_interval_s;
  g.interval_s = m.checkpoint_interval_s ? *m.checkpoint_interval_s : daly_optimal_interval_s(m.checkpoint_s, g.job_mtbf_s);
  const double tau = g.interval_s, delta = m.checkpoint_s;
  const double lost_per_interruption = m.restart_s + (tau + delta) / 2.0;
  const double surviving = 1.0 - lost_per_interruption / g.job_mtbf_s;
  if (surviving <= 0)
    throw UsageError(fmt::format(
        "on {} GPUs the job is interrupted every {} s on average, less than a restart ({:.0f} s) plus half a "
        "checkpoint interval and write ({:.0f} s): it makes no progress; fewer GPUs, faster restarts (--restart-s), "
        "quicker or more frequent checkpoints (--checkpoint-s, --checkpoint-interval-s) or a larger --mtbf-gpu-hours",
        gpus, human_value(g.job_mtbf_s), m.restart_s, (tau + delta) / 2.0));
  g.fraction = tau / (tau + delta) * surviving;
  // Shares of wall time: training f, checkpoints f·δ/τ, and per interruption (1/M of the time)
  // its rework (τ+δ)/2 and its restart R.
  g.checkpoint_share = g.fraction * delta / tau;
  g.rework_share = (tau + delta) / 2.0 / g.job_mtbf_s;
  g.restart_share = m.restart_s / g.job_mtbf_s;
  g.wall_s = training_s / g.fraction;
  g.expected_interruptions = g.wall_s / g.job_mtbf_s;
  return g;
}

}  // namespace tb
