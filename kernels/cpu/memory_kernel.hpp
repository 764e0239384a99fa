#pragma once
// CPU memory-bound kernels (norms, GeLU, SwiGLU, residual add, cross-entropy) for the CPU backend.
#include <memory>

#include "kernels/backend.hpp"

namespace tb::kernels::cpu {

// op.kind is one of the memory-bound kinds (is_memory_bound(op.kind)).
std::unique_ptr<Kernel> make_memory_kernel(const Op& op, const PrepareOptions& options);

}  // namespace tb::kernels::cpu
