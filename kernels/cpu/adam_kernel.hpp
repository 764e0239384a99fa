#pragma once
// The optimizer step's AdamW update on the CPU backend: memops::adamw_update (the function the
// CUDA kernel calls) over fp32 gradient, master weight, m and v, writing the master, m, v and a
// bf16 or fp16 working copy (adam_check.hpp: fills, out-of-place state, the check).
#include <memory>

#include "kernels/backend.hpp"

namespace tb::kernels::cpu {

// op.kind == OpKind::AdamUpdate; op.dtype the working copy (bf16, fp16; fp32: none).
std::unique_ptr<Kernel> make_adam_kernel(const Op& op, const PrepareOptions& options);

}  // namespace tb::kernels::cpu
