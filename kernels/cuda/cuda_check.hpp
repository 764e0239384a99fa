#pragma once
// Error checks for CUDA runtime and cuBLASLt calls: every failure becomes a tb::RuntimeError
// carrying file:line, the call and the library's own error string; an allocation failure becomes
// kernels::OutOfMemoryError so that the run records "oom" and goes on (backend.hpp).
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <string>

#include "harness/common/errors.hpp"
#include "kernels/backend.hpp"

namespace tb::kernels::cuda {

// Errors that corrupt the CUDA context for the rest of the process (the runtime API reference
// marks them: "the process must be terminated and relaunched").
inline bool is_sticky_error(cudaError_t err) {
  switch (err) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout:
    case cudaErrorECCUncorrectable:
    // driver_types.h (CUDA 13): "the process must be terminated and relaunched" for these too.
    case cudaErrorContained:
    case cudaErrorTensorMemoryLeak:
    case cudaErrorMpsClientTerminated:
    case cudaErrorExternalDevice:
      return true;
    default:
      return false;
  }
}

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  cudaGetLastError();  // clear a non-sticky error so later calls are not blamed for it
  // Plain string building, not fmt: this header is also compiled by nvcc.
  const std::string msg = std::string(file) + ":" + std::to_string(line) + ": " + call +
                          " failed: " + cudaGetErrorString(err) + " (" + cudaGetErrorName(err) + ")";
  if (is_sticky_error(err)) throw DeviceLostError(msg);
  if (err == cudaErrorMemoryAllocation) throw OutOfMemoryError(msg);
  throw RuntimeError(msg);
}

[[noreturn]] inline void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  const std::string msg = std::string(file) + ":" + std::to_string(line) + ": " + call +
                          " failed: cuBLAS status " + std::to_string(static_cast<int>(status)) + " (" +
                          cublasLtGetStatusString(status) + ")";
  // A kernel that faulted inside cuBLAS leaves a sticky error behind: name it here, where it
  // happened, rather than at the next CUDA call of the next kernel. Peek, not synchronize: this
  // may run inside a timed sample while the blocking kernel holds the stream.
  if (status == CUBLAS_STATUS_EXECUTION_FAILED)
    if (const cudaError_t err = cudaPeekAtLastError(); is_sticky_error(err))
      throw DeviceLostError(msg + "; " + cudaGetErrorString(err) + " (" + cudaGetErrorName(err) + ")");
  if (status == CUBLAS_STATUS_ALLOC_FAILED) throw OutOfMemoryError(msg);
  if (status == CUBLAS_STATUS_NOT_SUPPORTED || status == CUBLAS_STATUS_ARCH_MISMATCH)
    throw UnsupportedError(msg);
  throw RuntimeError(msg);
}

}  // namespace tb::kernels::cuda

#define TB_CUDA_CHECK(call)                                                          \
  do {                                                                               \
    const cudaError_t tb_err_ = (call);                                              \
    if (tb_err_ != cudaSuccess)                                                      \
      ::tb::kernels::cuda::throw_cuda_error(tb_err_, #call, __FILE__, __LINE__);     \
  } while (0)

#define TB_CUBLAS_CHECK(call)                                                        \
  do {                                                                               \
    const cublasStatus_t tb_status_ = (call);                                        \
    if (tb_status_ != CUBLAS_STATUS_SUCCESS)                                         \
      ::tb::kernels::cuda::throw_cublas_error(tb_status_, #call, __FILE__, __LINE__); \
  } while (0)
