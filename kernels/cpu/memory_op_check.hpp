#pragma once
// What each memory-bound op reads and writes, how its inputs are filled, and how its output is
// checked against the fp64 reference. Host-only; shared by the CPU kernels and the CUDA kernels
// so that both backends fill and verify the same way (the CUDA side copies its buffers back).
#include <cstdint>
#include <vector>

#include "harness/hardware/sku_config.hpp"
#include "harness/workload/op.hpp"
#include "kernels/backend.hpp"

namespace tb::kernels::memcheck {

// Buffers per op. Tensors are rows×cols (rows = tokens, cols = channels), row-major:
//   norm fwd: in x → out y, plus per-row mean/rstd saved for the backward
//   norm bwd: in x, dy (+ saved mean/rstd) → out dx. The parameter gradients dγ, dβ (a column
//             reduction over tokens) are not part of this kernel, as op.bytes counts x, dy, dx only.
//   gelu fwd: x → y; gelu bwd: x, dy → dx; swiglu fwd: gate, up → h;
//   swiglu bwd: gate, up, dh → dgate, dup; residual: a, b → y;
//   cross-entropy: logits (+ one target per row) → dlogits, and a per-row fp32 loss.
struct MemoryOpSpec {
  int inputs = 1;
  int outputs = 1;
  bool gamma = false;
  bool beta = false;
  bool stats_in = false;
  bool stats_out = false;
  bool cross_entropy = false;
};
MemoryOpSpec spec_for(OpKind kind);  // UsageError for a kind that is not memory-bound
// Rows and columns positive, and the kind memory-bound; UsageError naming the op otherwise.
void validate(const Op& op);

// value(i) = offset + scale·hash_uniform(seed, i): inputs in [-1, 1) (logits ×4, so the softmax
// is far from uniform), γ near 1, β near 0. Never zeros, never all equal.
struct FillRule {
  uint64_t seed = 0;
  float offset = 0;
  float scale = 1;
};
enum class Tensor { In0, In1, In2, Gamma, Beta };
FillRule fill_rule(OpKind kind, Tensor tensor, uint64_t seed);
inline constexpr float kCrossEntropyDloss = 1.0f;  // loss summed over tokens (see docs/verification.md)

// Host fp32 copies of the buffers, holding the values as stored (after rounding to bf16/fp16).
// Either every row, or (`held_rows` not empty) only the rows verify checks, checked_rows(rows)
// in that order: the CUDA backend copies back no more, since a logits-sized cross-entropy
// (8192 x 128256) is two billion elements of which verify reads 32 rows.
struct MemoryOpData {
  int64_t rows = 0, cols = 0;     // the whole tensor's
  std::vector<int64_t> held_rows;  // empty: all rows held
  std::vector<float> in[3];
  std::vector<float> out[2];
  std::vector<float> gamma, beta;
  std::vector<float> mean_out, rstd_out;  // norm forward
  std::vector<float> loss;                // cross-entropy
  std::vector<int64_t> targets;           // cross-entropy
};

// Documented tolerance on |got − ref| / (|ref| + 1): fp32 1e-4; bf16 1.5e-2 (8-bit mantissa: one
// rounding of the output is 2^-9 relative, plus fp32 compute); fp16 2e-3 (2^-11 per rounding).
double tolerance_for(DType storage);
inline constexpr int64_t kCheckedRows = 32;
// The rows verify checks: up to `max_rows` spread over the tensor, first and last included.
std::vector<int64_t> checked_rows(int64_t rows, int64_t max_rows = kCheckedRows);
// Checks the rows checked_rows(data.rows, max_rows) against the fp64 reference; a MemoryOpData
// holding only some rows must hold exactly those.
VerifyResult verify(OpKind kind, DType storage, const MemoryOpData& data, int64_t max_rows = kCheckedRows);

}  // namespace tb::kernels::memcheck
