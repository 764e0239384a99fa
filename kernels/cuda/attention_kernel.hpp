#pragma once
// CUDA attention kernels (our fused flash-style kernel and the unfused cuBLAS baseline).
#include <cuda_runtime.h>

#include <memory>

#include "kernels/backend.hpp"

namespace tb::kernels::cuda {

std::unique_ptr<Kernel> make_attention_kernel(const Op& op, const PrepareOptions& options, cudaStream_t stream);

}  // namespace tb::kernels::cuda
