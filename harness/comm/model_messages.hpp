#pragma once
// The messages one training step of a model sends, per GPU, so `trainbench comm` measures the
// model's own sizes by default:
//   tensor parallel: all-reduce of the layer output, b·s·d elements (Megatron-LM: 2 per layer
//     forward, 2 backward; Narayanan et al. 2021 §2.3), or with sequence parallelism the same
//     bytes as a reduce-scatter plus an all-gather (Korthikanti et al. 2022 §4.2.2);
//   data parallel: gradient buckets of 25 MiB (PyTorch DDP's default bucket_cap_mb), capped at
//     the GPU's whole gradient, params/(t·p) elements;
//   pipeline parallel: the activation sent between stages, b·s·d/t elements (each tensor rank
//     sends its 1/t slice: Narayanan et al. 2021 §4.1, scatter/gather optimisation);
//   context parallel (c > 1): K and V of the whole sequence all-gathered, their gradients
//     reduce-scattered (Llama 3 paper §3.3.2); every other message then holds s/c tokens;
//   expert parallel (MoE, e > 1): all-to-all of every token's hidden state to its k experts,
//     b·s·k·d/t elements (dispatch and combine, forward and backward).
#include <cstdint>
#include <string>
#include <vector>

#include "harness/comm/collective.hpp"
#include "harness/comm/parallel_layout.hpp"
#include "harness/hardware/sku_config.hpp"
#include "harness/model/model_config.hpp"

namespace tb::comm {

struct ModelMessage {
  std::string name;        // "tp.allreduce", "dp.grad_bucket", "pp.activation", ...
  Collective collective;
  int64_t bytes = 0;       // nccl-tests' S
  int64_t group_ranks = 1; // ranks the collective spans in the job (t, c, c·d or p)
  std::string why;         // the formula, for tables and docs
};

inline constexpr int64_t kDdpBucketBytes = 25 * 1024 * 1024;  // torch DDP bucket_cap_mb = 25

std::vector<ModelMessage> model_messages(const ModelConfig& model, const ParallelLayout& layout, DType dtype);

}  // namespace tb::comm
