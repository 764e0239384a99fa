#include "cli/device_flags.hpp"

namespace tb::cli {

void add_device_flags(CLI::App* cmd, DeviceFlags& flags) {
  cmd->add_option("--device", flags.device, "cuda, cpu or auto")->capture_default_str();
  cmd->add_option("--gpu-index", flags.gpu_index, "Which CUDA device (0-based, as `trainbench devices` lists them)")
      ->capture_default_str();
}

std::unique_ptr<kernels::Backend> make_backend(const DeviceFlags& flags) {
  return kernels::make_backend(flags.device, flags.gpu_index);
}

}  // namespace tb::cli
