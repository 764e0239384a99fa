#pragma once
// The optimizer step's AdamW update on CUDA (kernels/cuda/adam.cu).
#include <cuda_runtime.h>

#include <memory>

#include "kernels/backend.hpp"

namespace tb::kernels::cuda {

std::unique_ptr<Kernel> make_adam_kernel(const Op& op, const PrepareOptions& options, cudaStream_t stream);

}  // namespace tb::kernels::cuda
