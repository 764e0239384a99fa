#pragma once
// The FLOPs MFU and HFU count for an op, beside what its kernel executes (Op::flops). MFU's
// numerator is PaLM's model count (Chowdhery et al. 2022, appendix B), as published MFUs count
// it: attention unmasked even when causal, so a causal attention forward's Op::model_flops are
// 2 × its flops (the kernel skips the masked half) and its backward's 4/2.5 × its flops (the
// fused backward's recompute of S is hardware work, not the model's); a padded GEMM's are below
// its flops.
#include "harness/workload/op.hpp"

namespace tb {

// The model's attention forward: 4·b·h·s²·d, unmasked even when causal.
double attention_model_forward_flops(const AttentionShape& shape);

// HFU's numerator per call: what the kernel executes in MFU's convention (a causal attention
// kernel's flops unmasked, 2×; the fused backward's recompute of S kept), so that HFU ≥ MFU.
// results::kernel_hardware_flops is the same rule read from a results file's kernel.
double hardware_flops(const Op& op);

}  // namespace tb
