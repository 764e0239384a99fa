#pragma once
// One kernel of a training step, with its shape, layout, FLOPs and bytes. The harness measures
// ops; it never needs to know which model they came from.
#include <cstdint>
#include <string>

#include "harness/hardware/sku_config.hpp"

namespace tb {

enum class OpKind {
  Gemm,
  AttentionForward,
  AttentionBackward,
  LayerNormForward,
  LayerNormBackward,
  RmsNormForward,
  RmsNormBackward,
  GeluForward,
  GeluBackward,
  SwiGluForward,
  SwiGluBackward,
  ResidualAdd,
  CrossEntropyForwardBackward,  // fused softmax + loss + logits gradient over the vocabulary
  // fp8 training (Transformer Engine): a bf16 tensor scaled, cast to fp8 (Op::cast_format) as is and
  // transposed (the other GEMM's operand), and its absolute maximum taken for the next step's scale.
  Fp8CastTranspose,
  // The optimizer step: mixed-precision AdamW over a chunk of this GPU's parameters (apex's and
  // Transformer Engine's FusedAdam, what Megatron-LM runs), once per optimizer step.
  AdamUpdate,
};

const char* to_string(OpKind kind);
bool is_memory_bound(OpKind kind);
bool is_attention(OpKind kind);  // forward or backward

// Row-major semantics, C[M×N] = op(A)·op(B) with fp32 accumulation:
//   Forward    Y  = X·W     A = X [M×K], B = W [K×N]         (M tokens, K in, N out)
//   DataGrad   dX = dY·Wᵀ   A = dY [M×K], B = W stored [N×K] (M tokens, K out, N in)
//   WeightGrad dW = Xᵀ·dY   A = X stored [K×M], B = dY [K×N] (M in, N out, K tokens)
enum class GemmLayout { Forward, DataGrad, WeightGrad };
const char* to_string(GemmLayout layout);
GemmLayout parse_gemm_layout(const std::string& text, const std::string& what);
bool transposes_a(GemmLayout layout);  // A stored K×M
bool transposes_b(GemmLayout layout);  // B stored N×K

// The two fp8 formats (OCP OFP8 rev 1.0): e4m3 (max 448) and e5m2 (max 57344, with infinities).
// Transformer Engine's default recipe, Format.HYBRID, keeps the forward pass's tensors (X, W) in
// e4m3 and the backward pass's gradients (dY) in e5m2 (TE's common API, recipe.Format).
enum class Fp8Format { E4M3, E5M2 };
const char* to_string(Fp8Format format);
// The formats of an fp8 GEMM's row-major operands A and B in its role under HYBRID: forward
// X·W e4m3 x e4m3, data gradient dY·Wᵀ e5m2 x e4m3, weight gradient Xᵀ·dY e4m3 x e5m2. Never
// e5m2 x e5m2, which cuBLASLt does not run (cuBLAS documentation, cublasLtMatmul's FP8 types).
struct Fp8Operands {
  Fp8Format a = Fp8Format::E4M3, b = Fp8Format::E4M3;
};
Fp8Operands fp8_gemm_operands(GemmLayout role);

// cuBLASLt's fp8 GEMMs need m, n and k multiples of 16 (16-byte aligned rows of 1-byte elements).
inline constexpr int64_t kFp8GemmAlignment = 16;

// `batch` independent GEMMs of the same m x n x k in one launch, each on its own A, B and C: a
// strided batched GEMM. Under balanced routing it stands for the grouped GEMM that runs all of a
// layer's local experts at once (Megatron-Core's --moe-grouped-gemm), every group the same shape.
struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
  GemmLayout layout = GemmLayout::Forward;
  int64_t batch = 1;
};

struct AttentionShape {
  int64_t batch = 0;
  int64_t heads = 0;      // query heads on this GPU
  int64_t kv_heads = 0;   // key/value heads on this GPU (grouped-query when < heads)
  int64_t seq = 0;
  int64_t head_dim = 0;
  bool causal = true;
};

// Flash-attention papers' convention: forward 4·b·h·s²·d (two GEMMs), halved when causal.
double attention_forward_flops(const AttentionShape& shape);
// What the fused backward executes: 2.5× forward (five GEMMs, S = QKᵀ recomputed).
double attention_backward_flops(const AttentionShape& shape);
// The model's attention forward as PaLM appendix B counts it for MFU: 4·b·h·s²·d, unmasked even
// when causal. Published MFUs use it; a causal kernel executes half of it (the FLOPs above).
double attention_model_forward_flops(const AttentionShape& shape);

struct MemoryShape {
  int64_t rows = 0;  // tokens
  int64_t cols = 0;  // channels (hidden, ffn or vocabulary slice)
};

struct Op;
// HFU's numerator per call: what the kernel executes in MFU's convention (a causal attention
// kernel's flops unmasked, 2×; the fused backward's recompute of S kept), so that HFU ≥ MFU.
// results::kernel_hardware_flops is the same rule read from a results file's kernel.
double hardware_flops(const Op& op);

struct Op {
  std::string name;        // unique within a workload, e.g. "qkv.dgrad"
  OpKind kind = OpKind::Gemm;
  DType dtype = DType::BF16;
  GemmShape gemm;          // when kind == Gemm
  AttentionShape attention;  // when kind is an attention pass
  MemoryShape memory;      // when the op is memory-bound
  double flops = 0;        // executed by the kernel, per call (TFLOP/s is computed from this)
  // Algorithmic FLOPs, per call, in PaLM's convention (attention unmasked; backward = 2× fwd): MFU
  // counts these. A causal attention forward's is 2 × flops (its kernel skips the masked half),
  // its backward's 4/2.5 × flops; a padded GEMM's is below flops.
  double model_flops = 0;
  double bytes = 0;        // minimum bytes read + written per call (roofline, GB/s)
  int64_t calls_per_step = 1;  // on one GPU, per training step (e.g. layers × 1)
  bool in_layer = true;    // repeated in every transformer layer
  bool is_forward = true;  // re-run in the backward pass under full recomputation
  bool attention_core = false;  // re-run under selective recomputation (Korthikanti et al. 2022)
  Fp8Format cast_format = Fp8Format::E4M3;  // when kind == Fp8CastTranspose: what it writes
  // Runs once per optimizer step, not once per micro-batch (the Adam update, fp8 weight casts):
  // a step of one micro-batch takes 1/M of its calls, M micro-batches per optimizer step
  // (WorkloadOptions::micro_batches). calls_per_step stays the calls of one optimizer step.
  bool per_optimizer_step = false;

  // "MxNxK fwd" ("8x MxNxK fwd" for a batch of 8), "b h/g s d causal", "rowsxcols", "N params" (Adam)
  std::string shape_string() const;
};

// The one place GEMM and attention ops get their FLOPs and minimum bytes; the workload builder
// and the single-kernel commands both use these.
// GEMM: 2·M·N·K FLOPs; bytes = one read of A and B and one write of C in the dtype's size (C in
// bf16 for fp8: cuBLASLt's fp8 GEMMs here write bf16); both times the batch.
Op make_gemm_op(const std::string& name, const GemmShape& shape, DType dtype);
// 2·batch·m·n·k: what make_gemm_op counts, and what the results readers check a GEMM's flops by.
double gemm_flops(const GemmShape& shape);
// Attention: flash convention FLOPs (model FLOPs count the backward as 2× forward); bytes:
// forward reads Q, K, V and writes O and the fp32 LSE; backward reads Q, K, V, O, dO, LSE and
// writes dQ, dK, dV.
Op make_attention_op(const std::string& name, const AttentionShape& shape, DType dtype, bool backward);
// Memory-bound op over a rows × cols activation: no FLOPs counted; bytes = `tensors_moved` full
// tensors read or written once in the dtype's size (e.g. residual add: read 2, write 1 → 3).
Op make_memory_op(const std::string& name, OpKind kind, const MemoryShape& shape, DType dtype, double tensors_moved);
// Transformer Engine's cast-transpose of a rows x cols bf16 tensor to `format`: bf16 read, two fp8
// copies written (as is and transposed), 4 bytes per element.
Op make_fp8_cast_op(const std::string& name, const MemoryShape& shape, Fp8Format format);

// Bytes the mixed-precision AdamW update moves per parameter (apex's multi_tensor_adam, which
// Megatron-LM's optimizer runs): it reads the fp32 gradient (Megatron accumulates main_grad in
// fp32), the fp32 master weight and the fp32 Adam m and v (16 B), and writes the master, m and v
// (12 B) and the working copy of the weight the next forward reads (2 B in bf16 or fp16): 30 B.
// The state is ZeRO's 16 B per parameter (Rajbhandari et al. 2020 §3.1: 2 B weight, 2 B gradient,
// 12 B fp32 master, m, v), with Megatron's fp32 gradient (its distributed optimizer docs: 18 B).
// fp32 training keeps no separate master: the weight is read and written once, no copy: 28 B.
double adam_bytes_per_param(DType working);
// The Adam update over `params` parameters whose working copy is `working` (bf16, fp16; fp32 or
// tf32: none). No FLOPs counted (MFU counts model FLOPs; this is not one); memory-bound, judged
// in GB/s against the bandwidth peak. Its shape is rows 1 x cols params.
Op make_adam_op(const std::string& name, int64_t params, DType working);

}  // namespace tb
