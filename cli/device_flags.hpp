#pragma once
// `--device cuda|cpu|auto` and `--gpu-index N`, shared by every command that measures kernels
// on one device.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "kernels/backend.hpp"

namespace tb::cli {

struct DeviceFlags {
  std::string device = "auto";
  int gpu_index = 0;
};

void add_device_flags(CLI::App* cmd, DeviceFlags& flags);
// The backend the flags choose; refused (refuse_multi_rank_launch) under a multi-rank launch.
std::unique_ptr<kernels::Backend> make_backend(const DeviceFlags& flags);
// A UsageError when mpirun or srun started several ranks of a command that measures one device
// in one process: every rank would measure the same device, slowed by the others, and write the
// same --out.
void refuse_multi_rank_launch();

}  // namespace tb::cli
