#pragma once
// What the Adam update op must produce, checked on the host for both backends (the CUDA kernel
// copies its buffers back): the fp32 master weight, m and v against the fp64 reference
// (memory_ops_reference.hpp's adamw), and the working copy (bf16 or fp16) exactly the rounding of
// the master weight the kernel wrote. Also how both backends fill the inputs, so that they see the
// same values.
//
// The kernels update out of place, between two copies of the state: a launch reads one and writes
// the other, as a real in-place update moves the same bytes, and the input of the last launch
// stays there for the check. (On a GPU the writes cost what in-place ones do; a CPU's cache reads
// each written line first, write-allocate, which an in-place update's already cached lines do not.)
#include <cstdint>
#include <vector>

#include "harness/workload/op.hpp"
#include "kernels/backend.hpp"
#include "kernels/cpu/memory_op_check.hpp"

namespace tb::kernels::adamcheck {

// Refuses, naming the op: a kind other than adam_update, rows other than 1 or params not positive
// (UsageError); a working copy other than bf16 or fp16, or fp32 for none (UnsupportedError).
void validate(const Op& op);
// Whether the op writes a 2-byte working copy (bf16, fp16) beside the fp32 master.
bool writes_copy(const Op& op);

// value(i) = offset + scale·hash_uniform(seed, i): gradients ±1e-2, master weights ±0.02 (GPT's
// initialisation scale), m ±1e-2, v in [0.5e-4, 1.5e-4) (positive, as a second moment is).
enum class AdamTensor { Gradient, Master, M, V };
memcheck::FillRule fill_rule(AdamTensor tensor, uint64_t seed);

// Host copies of what the last launch read (in_*) and wrote (out_*), as fp32; `copy` holds the
// working copy's 16-bit patterns (empty where there is none). Either every parameter, or (`held`
// not empty) only those verify checks, checked_indices(params) in that order: the CUDA kernel
// gathers those 4096 instead of copying back 7 tensors of 2^24 (half a gigabyte).
struct AdamData {
  int64_t params = 0;          // the whole tensor's count; with `held` empty, grad.size() where 0
  std::vector<int64_t> held;   // empty: every parameter held
  std::vector<float> grad, in_w, in_m, in_v, out_w, out_m, out_v;
  std::vector<uint16_t> copy;
};

// |got − ref| / (|ref| + the tensor's fill scale) on w, m and v: the scale keeps a value near zero
// from reading as a large error, and leaves the update visible (lr·~1 = 6e-5 on weights of ±0.02,
// 3e-3 of the scale, far above fp32's ~1e-7 error here).
inline constexpr double kAdamTolerance = 1e-5;

inline constexpr int64_t kCheckedParams = 4096;
// The parameters verify checks: up to `max_elements` of `params` spread evenly over the buffer,
// the first and the last among them, ascending. Both backends' verify read these, and the CUDA
// kernel gathers exactly these.
std::vector<int64_t> checked_indices(int64_t params, int64_t max_elements = kCheckedParams);

// `step` is the launch's t (from 1); `copy` its working dtype (bf16, fp16, or fp32 for none).
// Checks checked_indices(params, max_elements); data holding only some parameters must hold
// exactly those.
VerifyResult verify(const AdamData& data, DType copy, int64_t step, int64_t max_elements = kCheckedParams);

}  // namespace tb::kernels::adamcheck
