#pragma once
// OpenBLAS GEMMs for the CPU backend: fp32 (sgemm), fp64 (dgemm) and bf16 (sbgemm, when this
// OpenBLAS was built with BUILD_BFLOAT16 and exports cblas_sbgemm), in the three training
// layouts of harness/workload/op.hpp, with fp32 accumulation for bf16.
#include <memory>
#include <string>
#include <vector>

#include "kernels/backend.hpp"

namespace tb::kernels::cpu {

// A CPU kernel that can make its next sample cold by itself, by moving on to another copy of
// its buffers that has not been touched for long enough to have left the caches. The backend
// flushes the caches before a sample of any kernel that cannot.
class ColdInputs {
 public:
  virtual ~ColdInputs() = default;
  virtual void next_cold_inputs() = 0;
};

// Resolved at run time: Debian's OpenBLAS 0.3.21 declares cblas_sbgemm in cblas.h but is built
// without it, so linking against the symbol would fail there.
bool bf16_gemm_available();
std::vector<DType> supported_gemm_dtypes();
std::string supported_gemm_dtypes_text();  // "fp32, fp64" or "fp32, bf16, fp64"

// Bytes all rotated copies (plus the reference's float copies) take, before allocating.
double gemm_bytes_needed(const Op& op, double llc_bytes);

// Throws tb::UsageError (non-positive or over-32-bit sizes), UnsupportedError (dtype), or
// OutOfMemoryError (over `free_bytes`) before allocating.
std::unique_ptr<Kernel> make_gemm_kernel(const Op& op, const PrepareOptions& options, double llc_bytes,
                                         double free_bytes);

}  // namespace tb::kernels::cpu
