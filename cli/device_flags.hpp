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
std::unique_ptr<kernels::Backend> make_backend(const DeviceFlags& flags);

}  // namespace tb::cli
