#include "cli/interruption_flags.hpp"

#include <fmt/format.h>

#include "cli/quantity_parse.hpp"
#include "harness/common/errors.hpp"

namespace tb::cli {

void add_interruption_flags(CLI::App* cmd, InterruptionFlags& f) {
  const std::string group = "Interruptions (docs/interruptions.md)";
  cmd->add_option("--mtbf-gpu-hours", f.mtbf,
                  "Mean GPU-hours between interruptions per GPU (a job on n GPUs: n times as often), or llama3 "
                  "(50,677: the 419 unexpected of Llama 3's 466 interruptions in 54 days on 16,384 GPUs; planned stops "
                  "are maintenance, not failures): checkpoints, lost work and restarts added to the time")
      ->group(group);
  cmd->add_option("--checkpoint-s", f.checkpoint_s, "Seconds training pauses to write a checkpoint (default 60)")
      ->group(group);
  cmd->add_option("--restart-s", f.restart_s, "Seconds to detect, reschedule and reload after one (default 600)")
      ->group(group);
  cmd->add_option("--checkpoint-interval-s", f.checkpoint_interval_s,
                  "Seconds of training between checkpoints (default: Daly's optimum for the job's MTBF)")
      ->group(group);
}

std::optional<InterruptionModel> parse_interruption_flags(const InterruptionFlags& f) {
  if (f.mtbf.empty()) {
    if (f.checkpoint_s || f.restart_s || f.checkpoint_interval_s)
      throw UsageError("--checkpoint-s, --restart-s and --checkpoint-interval-s feed the interruption model: give "
                       "--mtbf-gpu-hours HOURS|llama3 too");
    return std::nullopt;
  }
  InterruptionModel m;
  if (f.mtbf == "llama3") {
    m.gpu_mtbf_hours = llama3_gpu_mtbf_hours();
    // The unexpected interruptions only: the 47 planned ones of the 466 are maintenance (goodput.hpp).
    m.mtbf_source = "llama3: 419 unexpected interruptions (of 466; 47 were planned) in 54 days on 16,384 H100s, "
                    "Llama 3 paper s3.3.4";
  } else {
    const std::optional<double> hours = parse_finite_number(f.mtbf);
    if (!hours)
      throw UsageError(fmt::format("--mtbf-gpu-hours must be a number of GPU-hours (e.g. 45000) or llama3 (got '{}')",
                                   f.mtbf));
    m.gpu_mtbf_hours = *hours;
    m.mtbf_source = "--mtbf-gpu-hours";
  }
  if (!(m.gpu_mtbf_hours > 0))
    throw UsageError(fmt::format("--mtbf-gpu-hours must be a positive number of GPU-hours or llama3 (got '{}')", f.mtbf));
  if (f.checkpoint_s) m.checkpoint_s = *f.checkpoint_s;
  if (f.restart_s) m.restart_s = *f.restart_s;
  m.checkpoint_assumed = !f.checkpoint_s;
  m.restart_assumed = !f.restart_s;
  m.checkpoint_interval_s = f.checkpoint_interval_s;
  return m;
}

}  // namespace tb::cli
