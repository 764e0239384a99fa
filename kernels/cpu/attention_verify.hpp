#pragma once
// Checks an attention implementation's outputs against the fp64 reference
// (attention_reference.hpp). Shared by the CPU and CUDA backends: both hand over fp32 host
// copies of their inputs (exactly the values the kernel saw) and outputs.
//
// Rules (docs/verification.md, "Attention"): every output element must be finite — outputs
// are poisoned with NaN before the first launch, so an unwritten element fails; the error is
// ‖got − ref‖₂ / ‖ref‖₂ per tensor over the checked rows, the largest over tensors must be
// within the dtype's tolerance, and NaN never passes. Large shapes check a sample of rows that
// always includes the first and the last.
#include <cstdint>

#include "harness/hardware/sku_config.hpp"
#include "kernels/backend.hpp"
#include "kernels/cpu/attention_reference.hpp"

namespace tb::kernels::cpu {

struct AttentionHostTensors {
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  const float* dout = nullptr;  // backward only
  const float* o = nullptr;     // forward output
  const float* lse = nullptr;   // forward output
  const float* dq = nullptr;    // backward outputs
  const float* dk = nullptr;
  const float* dv = nullptr;
};

// Relative (norm-wise) tolerance of an attention implementation whose inputs and P are
// stored in `dtype` and that accumulates in fp32: fp32 1e-4, fp16 3e-3, bf16 1e-2.
double attention_tolerance(DType dtype);

// `max_rows`: query rows (forward, dQ) and key rows (dK, dV) compared at most; all when the
// shape has fewer.
VerifyResult verify_attention_forward(const AttentionProblem& p, const AttentionHostTensors& t, double tolerance,
                                      int64_t max_rows = 256);
VerifyResult verify_attention_backward(const AttentionProblem& p, const AttentionHostTensors& t, double tolerance,
                                       int64_t max_rows = 128);

}  // namespace tb::kernels::cpu
