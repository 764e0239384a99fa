#pragma once
// The CPU backend: OpenBLAS GEMMs, reference attention and memory-bound ops, steady-clock
// timing. It makes the whole pipeline run, and be tested, on a machine without a GPU.
#include <memory>

#include "kernels/backend.hpp"

namespace tb::kernels::cpu {

std::unique_ptr<Backend> make_backend();
DeviceInfo device_info();
// The kernel set OpenBLAS chose for this CPU ("Haswell", "SkylakeX", ...; "none" without it).
std::string blas_core_name();
// Whether that kernel set uses AVX-512 (OpenBLAS's SkylakeX, Cooperlake, SapphireRapids cores):
// on an AVX-512 CPU another set caps GEMMs near half the estimated peak.
bool blas_core_uses_avx512(const std::string& core);

}  // namespace tb::kernels::cpu
