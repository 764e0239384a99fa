#include "cli/device_flags.hpp"

#include <fmt/format.h>

#include "harness/common/errors.hpp"
#include "kernels/comm/world.hpp"

namespace tb::cli {

void add_device_flags(CLI::App* cmd, DeviceFlags& flags) {
  cmd->add_option("--device", flags.device, "cuda, cpu or auto")->capture_default_str();
  cmd->add_option("--gpu-index", flags.gpu_index, "Which CUDA device (0-based, as `trainbench devices` lists them)")
      ->capture_default_str();
}

std::unique_ptr<kernels::Backend> make_backend(const DeviceFlags& flags) {
  refuse_multi_rank_launch();
  return kernels::make_backend(flags.device, flags.gpu_index);
}

void refuse_multi_rank_launch() {
  const int ranks = kernels::comm::launched_world_size();
  if (ranks > 1)
    throw UsageError(fmt::format(
        "started as {} ranks (mpirun or srun), but this command measures one device in one process: every rank would "
        "measure the same device, slowed by the others, and write the same --out. Run it without mpirun (one GPU: "
        "--gpu-index N; every GPU: `trainbench health --all-gpus`); `trainbench comm` is the multi-rank command",
        ranks));
}

}  // namespace tb::cli
