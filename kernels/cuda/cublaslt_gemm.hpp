#pragma once
// GEMMs through cuBLASLt: bf16, fp16, tf32, fp32 and fp8 e4m3, the three transformer layouts of
// harness/workload/op.hpp, fp32 accumulation, algorithm from cuBLASLt's heuristic (optionally the
// fastest of its top k, as PyTorch's and Transformer Engine's autotuning do).
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <memory>

#include "kernels/backend.hpp"

namespace tb::kernels::cuda {

// Throws UsageError (bad shape), UnsupportedError (dtype or shape the device/cuBLASLt cannot do),
// OutOfMemoryError (refused before allocating).
std::unique_ptr<Kernel> make_gemm_kernel(const Op& op, const PrepareOptions& options, cudaStream_t stream,
                                         cublasLtHandle_t handle, int compute_capability);

// Workspace offered to cuBLASLt: 32 MiB, what PyTorch gives cuBLASLt on Hopper.
inline constexpr size_t kGemmWorkspaceBytes = 32u << 20;

}  // namespace tb::kernels::cuda
