#pragma once
// CUDA memory-bound kernels (norms, GeLU, SwiGLU, residual add, cross-entropy).
#include <cuda_runtime.h>

#include <memory>

#include "kernels/backend.hpp"

namespace tb::kernels::cuda {

std::unique_ptr<Kernel> make_memory_kernel(const Op& op, const PrepareOptions& options, cudaStream_t stream);

}  // namespace tb::kernels::cuda
