#pragma once
// A training job's parallel layout (Megatron-LM, Narayanan et al. 2021): t-way tensor, p-way
// pipeline and d-way data parallelism over n = t·p·d GPUs, m micro-batches of b sequences per
// pipeline per step. Ranks are ordered tensor-fastest, then data, then pipeline (Megatron-LM's
// default order), so a tensor group is t neighbouring GPUs.
#include <cstdint>
#include <string>

#include "harness/model/model_config.hpp"

namespace tb::comm {

struct ParallelLayout {
  int64_t tp = 1;
  int64_t pp = 1;
  int64_t dp = 1;
  int64_t micro_batches = 1;     // m, per pipeline per step (gradient accumulation when pp = 1)
  int64_t micro_batch_size = 1;  // b, sequences
  int64_t seq_len = 0;           // s; 0 takes the model's context
  // v model chunks per GPU, Megatron-LM's interleaved 1F1B (Narayanan et al. 2021 §2.2.2): the
  // bubble shrinks v-fold, point-to-point traffic grows v-fold. 1: the plain schedule.
  int64_t virtual_stages = 1;

  int64_t gpus() const { return tp * pp * dp; }
};

// Refuses t not dividing the heads, more stages than layers, non-positive sizes — naming the
// flag (--tp, --pp, --dp, --micro-batches).
void validate_layout(const ParallelLayout& layout, const ModelConfig& model);

// Layers on the busiest pipeline stage, ceil(L/p): stages need not be equal (Llama 3 405B ran its
// 126 layers on 16 stages), and the busiest one sets the pipeline's pace and holds the most.
int64_t layers_per_stage(const ParallelLayout& layout, const ModelConfig& model);

}  // namespace tb::comm
