#pragma once
// The CPU backend: OpenBLAS GEMMs, reference attention and memory-bound ops, steady-clock
// timing. It makes the whole pipeline run, and be tested, on a machine without a GPU.
#include <memory>

#include "kernels/backend.hpp"

namespace tb::kernels::cpu {

std::unique_ptr<Backend> make_backend();
DeviceInfo device_info();

}  // namespace tb::kernels::cpu
