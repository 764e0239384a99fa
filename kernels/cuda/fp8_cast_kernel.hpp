#pragma once
// The fp8 cast-transpose op on CUDA (kernels/cuda/fp8_cast.cu).
#include <cuda_runtime.h>

#include <memory>

#include "kernels/backend.hpp"

namespace tb::kernels::cuda {

std::unique_ptr<Kernel> make_fp8_cast_kernel(const Op& op, const PrepareOptions& options, cudaStream_t stream);

}  // namespace tb::kernels::cuda
