#pragma once
// The fp8 cast-transpose op on the CPU backend: bf16 in, fp8 (e4m3 or e5m2, the op's cast_format)
// out as is and transposed, and the absolute maximum. A CPU has no fp8 GEMM to feed, so
// `run --dtype fp8` stays on GPUs; this kernel runs the op's definition and its check
// (fp8_cast_check.hpp) where CI can.
#include <memory>

#include "kernels/backend.hpp"

namespace tb::kernels::cpu {

// op.kind == OpKind::Fp8CastTranspose, op.dtype bf16 (the input's storage).
std::unique_ptr<Kernel> make_fp8_cast_kernel(const Op& op, const PrepareOptions& options);

}  // namespace tb::kernels::cpu
