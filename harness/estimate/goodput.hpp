#pragma once
// Time lost to interruptions at scale: a job on n GPUs is interrupted n times as often as one GPU
// (Llama 3: 419 unexpected interruptions in 54 days on 16,384 GPUs, The Llama 3 Herd of Models
// §3.3.4), and
// every interruption costs a restart plus the work done since the last checkpoint, while
// checkpointing itself pauses training. With job MTBF M = per-GPU MTBF / n, a checkpoint written
// in δ seconds every τ seconds of training, and a restart of R seconds, a wall time W holding T
// seconds of training satisfies (first order, Daly 2006 §3)
//   W = T·(1 + δ/τ) + (W/M)·(R + (τ + δ)/2)
// so the fraction of wall time that trains (goodput) is
//   f = τ/(τ + δ) · (1 − (R + (τ + δ)/2) / M).
// τ defaults to Daly's optimum (2006, eq. 37), Young's sqrt(2δM) (1974) with higher-order terms:
//   τ = sqrt(2δM)·(1 + sqrt(δ/(2M))/3 + (δ/(2M))/9) − δ   for δ < 2M, else M.
// Pure arithmetic; tested against hand computations.
#include <cstdint>
#include <optional>
#include <string>

namespace tb {

struct InterruptionModel {
  double gpu_mtbf_hours = 0;   // mean hours between interruptions per GPU (job MTBF · GPUs)
  std::string mtbf_source;     // where the figure comes from, for the output
  double checkpoint_s = 60;    // δ: training pauses this long to write one checkpoint
  double restart_s = 600;      // R: detect, reschedule, reload after an interruption
  std::optional<double> checkpoint_interval_s;  // τ; default Daly's optimum
  bool checkpoint_assumed = true;  // the defaults above, said so in the output
  bool restart_assumed = true;
};

// Llama 3 405B's pre-training (The Llama 3 Herd of Models, §3.3.4, Table 5): 466 job
// interruptions in a 54-day snapshot on 16,384 H100s, of which 47 were planned (automated
// maintenance such as firmware upgrades, operator-initiated configuration or dataset updates) and
// 419 unexpected (78% of those attributed to confirmed or suspected hardware). A failure rate
// counts the unexpected ones only: a planned stop is scheduled at a checkpoint, loses no work and
// is maintenance, which this model leaves out (docs/interruptions.md). Per GPU:
//   54 days x 24 h = 1,296 h; x 16,384 GPUs = 21,233,664 GPU-hours; / 419 = 50,677.0 GPU-hours
// (on 16,384 GPUs one interruption per 1,296 / 419 = 3.093 h = 11,135.1 s).
inline constexpr double kLlama3UnexpectedInterruptions = 419;
inline constexpr double kLlama3PlannedInterruptions = 47;  // not in the rate: maintenance
inline constexpr double kLlama3SnapshotDays = 54;
inline constexpr double kLlama3Gpus = 16384;
double llama3_gpu_mtbf_hours();

struct Goodput {
  int64_t gpus = 0;
  double job_mtbf_s = 0;         // M
  double interval_s = 0;         // τ used
  bool interval_optimal = true;  // Daly's, not given
  double fraction = 1;           // f: of wall time, training that is kept
  double checkpoint_share = 0;   // of wall time: writing checkpoints
  double rework_share = 0;       // of wall time: work lost since the last checkpoint
  double restart_share = 0;      // of wall time: restarting
  double wall_s = 0;             // for `training_s` of training
  double expected_interruptions = 0;  // over wall_s
};

double daly_optimal_interval_s(double checkpoint_s, double job_mtbf_s);

// Refuses non-positive figures naming the flag (--mtbf-gpu-hours, --checkpoint-s, --restart-s,
// --checkpoint-interval-s), and a job interrupted so often that it makes no progress (f <= 0).
Goodput goodput(const InterruptionModel& model, int64_t gpus, double training_s);

}  // namespace tb
