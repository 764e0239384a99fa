#pragma once
// A training job's parallel layout (Megatron-LM, Narayanan et al. 2021): t-way tensor, c-way
// context, p-way pipeline and d-way data parallelism over n = t·c·p·d GPUs, m micro-batches of b
// sequences per pipeline per step. Ranks are ordered tensor-fastest, then context, then data, then
// pipeline (Megatron-Core's default order tp-cp-dp-pp), so a tensor group is t neighbouring GPUs.
// Context parallelism (Llama 3 paper §3.3.2; Megatron-Core): each of the c ranks holds s/c of
// every sequence's tokens (2c chunks, paired so causal attention work is even) and exchanges K
// and V for attention; weights are replicated over it, so gradients reduce over c·d ranks.
// Expert parallelism (mixture-of-experts models; GShard, Megatron-Core): the experts of every MoE
// layer are split over e of the c·d ranks that replicate the rest (neighbours, at stride t); an
// all-to-all sends each token to the ranks of its experts and back. Expert weights are then
// replicated over c·d/e ranks only, which is where their gradients reduce.
#include <cstdint>
#include <string>
#include <vector>

#include "harness/model/model_config.hpp"

namespace tb::comm {

struct ParallelLayout {
  int64_t tp = 1;
  int64_t cp = 1;                // context-parallel ranks sharing each sequence
  int64_t pp = 1;
  int64_t dp = 1;
  int64_t micro_batches = 1;     // m, per pipeline per step (gradient accumulation when pp = 1)
  int64_t micro_batch_size = 1;  // b, sequences
  int64_t seq_len = 0;           // s; 0 takes the model's context
  // v model chunks per GPU, Megatron-LM's interleaved 1F1B (Narayanan et al. 2021 §2.2.2): the
  // bubble shrinks v-fold, point-to-point traffic grows v-fold. 1: the plain schedule.
  int64_t virtual_stages = 1;
  int64_t ep = 1;                // expert-parallel ranks, out of the c·d (MoE models only)

  int64_t gpus() const { return tp * cp * pp * dp; }
};

// Each size in 1..1000000, naming its flag: checked before any product of them (which could
// overflow to zero).
void check_layout_sizes(const ParallelLayout& layout);

// Megatron-Core splits each sequence into 2c chunks (rank i holds chunks i and 2c-1-i, so that
// causal attention costs every rank alike): refuses a c in 1..1000000 whose 2c does not divide
// `seq`, naming --cp.
void check_context_split(int64_t cp, int64_t seq);

// Refuses an e outside 1..1000000, e > 1 for a dense model, e not dividing the experts, naming --ep.
void check_expert_parallel(int64_t ep, const ModelConfig& model);

// Refuses t not dividing the heads, more stages than layers, non-positive sizes, a sequence that
// c ranks cannot split into 2c equal chunks, an e that does not divide the experts or c·d, or
// e > 1 for a dense model — naming the flag (--tp, --cp, --pp, --dp, --ep, --micro-batches).
void validate_layout(const ParallelLayout& layout, const ModelConfig& model);

// Megatron-LM's interleaved schedule splits each stage's layers into v equal chunks (it requires
// the layers per stage to divide by v). Stages may be uneven here, so the rule holds for the
// busiest stage's ceil(L/p) layers, the count that sets the pace: refuses a v > 1 that does not
// divide it, naming --virtual-stages, the layers per stage and the accepted values.
void check_virtual_stages(const ParallelLayout& layout, const ModelConfig& model);
// The v that check_virtual_stages and the other interleaving rule (p·v <= L, a layer per chunk)
// accept for the layout's pp, ascending: 1 always.
std::vector<int64_t> accepted_virtual_stages(const ParallelLayout& layout, const ModelConfig& model);

// Layers on the busiest pipeline stage, ceil(L/p): stages need not be equal (Llama 3 405B ran its
// 126 layers on 16 stages), and the busiest one sets the pipeline's pace and holds the most.
int64_t layers_per_stage(const ParallelLayout& layout, const ModelConfig& model);

}  // namespace tb::comm
