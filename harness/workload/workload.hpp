#pragma once
// Model config → the exact list of kernels one training step runs on one GPU.
#include <cstdint>
#include <vector>

#include "harness/model/model_config.hpp"
#include "harness/workload/op.hpp"

namespace tb {

struct WorkloadOptions {
  int64_t tensor_parallel = 1;  // t: heads, ffn and vocabulary are split t ways (Megatron-LM)
  int64_t micro_batch = 1;      // b
  int64_t seq_len = 0;          // s; 0 takes the model's training context
  // Training precision. fp8 is Transformer Engine's recipe as Megatron-Core runs it: the
  // transformer layers' linear GEMMs (QKV, output projection, MLP, experts, MLA projections) in
  // fp8 with bf16 output (TE's HYBRID format: X and W e4m3, dY e5m2; fp8_gemm_operands), each
  // with the casts of its input (e4m3) and gradient (e5m2) to fp8 (as is and transposed);
  // attention, the other memory-bound ops, the router and the logits in bf16. Each fp8 GEMM's
  // weight cast to e4m3 (as is and transposed), which TE does once per optimizer step, enters the
  // step at 1/micro_batches (kFp8WeightCastSuffix, Op::per_optimizer_step).
  // Every other dtype runs every op.
  DType dtype = DType::BF16;
  bool causal = true;           // decoder LMs mask the future: halves the attention kernels' work, not the model FLOPs
  // e: MoE experts split e ways over data-parallel ranks; each GPU runs experts/e of them, and
  // all-to-all brings each of them the tokens routed to it from all e ranks (e·b·s·k/experts).
  int64_t expert_parallel = 1;
  // d: data-parallel ranks; 0 takes e, the fewest that hold e expert ranks (expert ranks are drawn
  // from the data-parallel ones, so d must be a multiple of e). With d > 1 the optimizer is
  // Megatron-LM's distributed optimizer (--use-distributed-optimizer, ZeRO stage 1): each rank's
  // Adam updates 1/d of the parameters (optimizer_step.hpp). It moves the same gradient bytes as
  // a plain all-reduce (a reduce-scatter, then an all-gather of the weights), so a data-parallel
  // Megatron-LM job has no reason to run without it.
  int64_t data_parallel = 0;
  // M: micro-batches this GPU runs per optimizer step (gradient accumulation). The once-per-
  // optimizer-step ops (Adam, fp8 weight casts) enter the step of one micro-batch at 1/M.
  int64_t micro_batches = 1;
};

// The name ending of the fp8 weights' cast ops ("qkv.cast_w"): once per optimizer step in
// Transformer Engine, so a step of one micro-batch takes 1/M of them.
inline constexpr const char* kFp8WeightCastSuffix = ".cast_w";
// The name of the optimizer step's op: AdamW over this GPU's parameters, in chunks.
inline constexpr const char* kAdamOpName = "adam";

// The dtype of the layers' linear GEMMs, and of everything else (attention, memory-bound ops,
// router, logits): they differ only under fp8.
DType layer_gemm_dtype(DType training);
DType non_gemm_dtype(DType training);
// The peak an MFU refers to: the training dtype's, except that an fp8 step is judged against the
// bf16 peak, so that its MFU reads on the same scale as a bf16 step's (and the speed-up of fp8
// shows as a higher MFU, not a lower one).
DType mfu_peak_dtype(DType training);

enum class Recompute { None, Selective, Full };
const char* to_string(Recompute mode);
Recompute parse_recompute(const std::string& text, const std::string& what);

struct Workload {
  ModelConfig model;
  WorkloadOptions options;  // seq_len resolved
  std::vector<Op> ops;      // distinct kernels, each with its calls per step

  int64_t tokens_per_step() const { return options.micro_batch * options.seq_len; }
  // An op's calls in the step of one micro-batch: calls_per_step, or calls_per_step / M for what
  // runs once per optimizer step.
  double calls_per_micro_batch(const Op& op) const;
  // Sums over ops × calls on ONE GPU.
  double model_flops_per_step() const;
  double executed_flops_per_step() const;
  // Hardware FLOPs in MFU's convention (tb::hardware_flops per op: attention unmasked) plus the
  // forward ops that recomputation re-runs: HFU's numerator, never below the model's.
  double hardware_flops_per_step(Recompute mode) const;
  // Algorithmic FLOPs with recomputation (Megatron-LM's count: backward = 2× forward).
  double model_flops_with_recompute_per_step(Recompute mode) const;

};

// Tokens each expert receives per micro-batch on one GPU under e-way expert parallelism, with
// balanced routing (what load-balancing losses aim at): e·b·s·k / experts, not rounded.
double tokens_per_expert(const ModelConfig& model, const WorkloadOptions& options);

// Refuses tp that does not divide heads (or ffn, vocabulary padding aside), an expert-parallel
// size that does not divide the experts, a data-parallel size that is not a multiple of it, and
// micro-batches per optimizer step below 1, naming the flag. data_parallel 0 is resolved to e.
Workload build_workload(const ModelConfig& model, WorkloadOptions options);

}  // namespace tb
