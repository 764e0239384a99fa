#pragma once
// Memory one GPU needs to train a model under a parallel layout, so that a layout which cannot
// fit is said before anyone buys GPUs for it (what Calculon and llm-analysis answer).
//
// Training state per parameter, mixed-precision Adam (ZeRO, Rajbhandari et al. 2020 §3.1):
//   2 B bf16 weights + 2 B bf16 gradients + 12 B fp32 master weights, momentum and variance.
//   Megatron-LM accumulates bf16 training's gradients in fp32 (4 B; its distributed optimizer
//   documentation: 18 B per parameter, 6 + 12/d with the optimizer sharded): `grad_bytes` 4.
//   ZeRO stage 1 (Megatron-LM's distributed optimizer) shards the 12 B over the data-parallel
//   group, stage 2 the gradients too, stage 3 the weights as well. ZeRO-3 with the weights kept
//   gathered from the forward to the backward (PyTorch FSDP's reshard_after_forward=False) holds
//   the stage's whole tensor shard of bf16 weights during every micro-batch, beside the shard.
// Activations (Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer
//   Models" §4), counted tensor by tensor per layer and micro-batch: for GPT with dropout and
//   materialised attention scores this is their s·b·h·(34 + 5·a·s/h) bytes, s·b·h·(10 + 24/t +
//   5·a·s/(h·t)) under t-way tensor parallelism, and all of it /t with sequence parallelism.
//   Fused (FlashAttention-style) attention, what trainbench measures, keeps no s² tensor, only
//   the softmax statistics. Selective recomputation drops the s² tensors; full recomputation keeps
//   each layer's input plus one layer's activations while it is recomputed.
//   1F1B pipelining keeps min(p − i, m) micro-batches in flight on stage i, so the first stage
//   holds p micro-batches of its L/p layers; the last adds the output layer and the fp32 logits
//   of the loss, 4·s·b·h/t·(1 + V/h) (their §4.3). Interleaved (v chunks per GPU), the first stage
//   holds L·(1 + (p−1)/(p·v)) layers' worth (their §4.2.3).
// Context parallelism (c ranks per sequence) keeps s/c tokens of every tensor on a GPU (the kept
//   scores, unfused, are (s/c) × s per head) and shards ZeRO state over c·d ranks; the K and V
//   gathered for one layer's attention are transient (2·b·s·kv/t elements) and not counted.
// Mixture of experts: each MoE layer holds its routed experts split t·e ways (e-way expert
//   parallelism), the rest t ways; ZeRO shards expert state over the c·d/e ranks holding the same
//   experts. Activations add the router's fp32 scores, each token's k dispatched copies and k
//   expert outputs, and k + shared expert MLPs' inner tensors in place of the dense MLP's; every
//   layer of a stage is costed as an MoE layer (the busiest stage).
// fp8 training (Transformer Engine's recipe, `run --dtype fp8`; MemoryRequest::fp8) adds TE's fp8
//   copies of the fp8 GEMMs' weights, e4m3 W and its transpose (1 + 1 B per parameter of the
//   layers' linear weights, all but the bf16 router), which TE caches for an optimizer step's
//   micro-batches beside the bf16/fp32 state (Linear.forward's is_first_microbatch), held whole
//   on each GPU whatever the ZeRO stage; and saves the GEMM inputs it has cast in fp8 for the
//   weight gradient (TE's _Linear.forward saves inputmat_t, the fp8 transposed input, in place of
//   the bf16 input): the norms' outputs into QKV and the dense MLP, the MLP's inner activation into
//   its down projection, the experts' dispatched inputs and MLA's latents take 1 B, not 2. The
//   attention output stays in bf16 for the attention backward, and its fp8 copy for the output
//   projection is saved beside it (+1 B).
// Not counted: the CUDA context, cuBLAS workspaces, NCCL buffers, allocator fragmentation and the
// temporaries inside one layer; a verdict therefore keeps a margin (kTightFraction).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/comm/parallel_layout.hpp"
#include "harness/model/model_config.hpp"
#include "harness/workload/workload.hpp"

namespace tb {

enum class AttentionStorage {
  Fused,         // FlashAttention-style: Q, K, V, output and the fp32 log-sum-exp per row
  Materialized,  // scores, softmax, dropout mask and output of s×s per head (Korthikanti et al.)
};
const char* to_string(AttentionStorage storage);
AttentionStorage parse_attention_storage(const std::string& text, const std::string& what);

struct MemoryRequest {
  ModelConfig model;
  comm::ParallelLayout layout;          // seq_len 0 takes the model's context
  Recompute recompute = Recompute::None;
  bool sequence_parallel = true;        // with tp > 1 (Korthikanti et al.); ignored at tp = 1
  int zero_stage = 0;                   // 0..3, over the data-parallel group (with cp: c·d ranks)
  bool zero3_keep_gathered = false;     // ZeRO 3 only: the stage's weights held whole during a micro-batch
  int grad_bytes = 2;                   // per parameter: 2 (bf16, ZeRO's convention) or 4 (fp32, Megatron-LM)
  AttentionStorage attention = AttentionStorage::Fused;
  bool fp8 = false;                     // Transformer Engine's fp8 recipe (see the header)
};

// TE's fp8 copies per parameter of an fp8 GEMM's weight: e4m3 W and its transpose.
inline constexpr double kFp8WeightCopyBytesPerParam = 2;

// Bytes of mixed-precision Adam training state per parameter, by part.
inline constexpr double kWeightBytesPerParam = 2;
inline constexpr double kGradientBytesPerParam = 2;
inline constexpr double kOptimizerBytesPerParam = 12;
inline constexpr double kStateBytesPerParam = kWeightBytesPerParam + kGradientBytesPerParam + kOptimizerBytesPerParam;
inline constexpr double state_bytes_per_param(int grad_bytes) {
  return kWeightBytesPerParam + grad_bytes + kOptimizerBytesPerParam;
}
// "bf16" → 2, "fp32" → 4; anything else a UsageError naming `what`.
int parse_grad_bytes(const std::string& text, const std::string& what);

struct StageMemory {
  int64_t stage = 0;                    // pipeline stage index, 0-based
  int64_t layers = 0;
  int64_t micro_batches_in_flight = 0;
  double params = 0;                    // held by one GPU of this stage (its tensor shard)
  double expert_params = 0;             // of which routed experts (MoE; their own ZeRO group)
  double weight_bytes = 0;
  double fp8_weight_bytes = 0;          // of weight_bytes: TE's fp8 copies (fp8 training)
  double gathered_weight_bytes = 0;     // of weight_bytes: ZeRO-3's weights kept gathered (whole)
  double gradient_bytes = 0;
  double optimizer_bytes = 0;
  double activation_bytes = 0;
  double total_bytes() const { return weight_bytes + gradient_bytes + optimizer_bytes + activation_bytes; }
};

struct MemoryFootprint {
  MemoryRequest request;                // seq_len resolved
  double layer_activation_bytes = 0;    // one layer, one micro-batch, one GPU
  StageMemory first;                    // stage 0: embeddings, the most micro-batches in flight
  StageMemory last;                     // stage p−1: output layer and logits; == first when p = 1
  double model_state_bytes = 0;         // the whole model's weights, gradients and Adam state
  const StageMemory& peak() const { return last.total_bytes() > first.total_bytes() ? last : first; }
};

// Refuses a layout the model cannot take (validate_layout), a ZeRO stage outside 0..3 and
// zero3_keep_gathered beside another stage.
MemoryFootprint memory_footprint(const MemoryRequest& request);

// Activation bytes of one transformer layer for one micro-batch on one GPU (see the header).
double layer_activation_bytes(const MemoryRequest& request);

// Against a GPU's capacity in GiB: a SKU's capacity_gib(), its usable figure where its config
// gives one (an H100's 81,559 MiB = 79.65 GiB), else its nominal memory.gb read as GiB.
enum class MemoryVerdict { Fits, Tight, DoesNotFit };
const char* to_string(MemoryVerdict verdict);
inline constexpr double kTightFraction = 0.9;  // above this, what is not counted may not fit
struct MemoryFit {
  double capacity_bytes = 0;
  double used_fraction = 0;
  MemoryVerdict verdict = MemoryVerdict::Fits;
};
double gib_to_bytes(double gib);
MemoryFit judge_fit(double bytes, double capacity_gib);

// GPUs needed just to hold the model's training state, sharded over all of them (ZeRO-3) with
// no activations: a floor below which no layout trains the model.
int64_t min_gpus_to_hold(double model_state_bytes, double capacity_gib);

// The smallest change that fits a layout that does not: the next pipeline sizes that divide the
// layers, and ZeRO stage 1 where dp > 1. Each candidate is judged as `trainbench estimate` would
// build it from the flags: micro-batches at their default (the model's batch / (b·dp), else 1 or
// 4·pp) unless given,
// and with a fixed GPU count dp = gpus / (tp·cp·pp), skipping pp that do not divide it. Flags to
// add, e.g. "--pp 8 --zero 1"; nothing when no such layout fits.
struct SuggestionRules {
  bool micro_batches_given = false;
  std::optional<int64_t> gpus;
};
std::optional<std::string> suggest_fitting_layout(const MemoryRequest& request, double capacity_gib,
                                                  const SuggestionRules& rules = {});

// Where no pipeline size or optimizer sharding fits: the other ways that would, each checked on
// the layout as given (more GPUs where they add ranks), and only those the request has not taken
// already: full recomputation, context parallelism (the smallest c that fits, long sequences),
// a larger tp within a server of `gpus_per_server`, a larger ep (MoE), ZeRO-3 where the training
// state rather than the activations is what overflows, plain ZeRO-3 where its weights kept
// gathered are what overflows. Empty when none does.
// With `gpus` fixed (--gpus), tp and cp changes keep the count (dp shrinks) and ep keeps dp.
std::vector<std::string> other_ways_to_fit(const MemoryRequest& request, double capacity_gib, int gpus_per_server,
                                           std::optional<int64_t> gpus = std::nullopt);

}  // namespace tb
