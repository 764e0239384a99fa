#pragma once
// What a training step does once per optimizer step rather than once per micro-batch: how many
// micro-batches an optimizer step holds on one GPU (gradient accumulation), and how many
// parameters its Adam update covers there. `run` measures one micro-batch; these ops enter it
// at 1/M (Op::per_optimizer_step).
#include <cstdint>
#include <optional>
#include <string>

#include "harness/model/model_config.hpp"

namespace tb {

// M, micro-batches this GPU runs per optimizer step, and where it came from (one line for `run`).
struct MicroBatches {
  int64_t count = 1;
  std::string why;
};
// Given (--micro-batches): it, if positive. Else Megatron-LM's gradient accumulation, global batch
// / (micro-batch size x data-parallel size), from the model's [training] batch_sequences; where
// the config publishes no batch, 1 (the once-per-optimizer-step work charged in full, an upper
// bound), said so. A batch that b x dp does not divide is refused (UsageError naming --micro-batch,
// --dp and --micro-batches), as is a non-positive count. At a sequence length other than the
// model's, the batch counts its tokens: batch x context / (b x seq x dp), rounded down; a micro-batch
// of more tokens than the batch is refused.
MicroBatches resolve_micro_batches(const ModelConfig& model, int64_t micro_batch, int64_t seq_len,
                                   int64_t data_parallel, std::optional<int64_t> given);

// Parameters one GPU's optimizer updates, with t-way tensor and e-way expert parallelism and no
// pipeline: params_per_gpu's shares (harness/model/parameter_count.hpp: the layers split t ways
// but for what every tensor rank holds whole, the routed experts t·e ways) plus the vocabulary
// padding rows Megatron-LM adds to the embedding (and the untied output layer), which its
// optimizer updates too. With the distributed optimizer (Megatron-LM's
// --use-distributed-optimizer, ZeRO stage 1; `sharded`) each of the dp data-parallel ranks
// updates 1/dp of them: the shared ones /dp, the routed experts /(dp/e), over the ranks that hold
// the same experts (as harness/estimate/memory_footprint.cpp shards their state).
double optimizer_params_per_gpu(const ModelConfig& model, int64_t tensor_parallel, int64_t expert_parallel,
                                int64_t data_parallel, bool sharded);

// The Adam update is measured on a buffer of bounded size, as the workload measures one layer for
// L: GPT-3 175B at tp 8 updates ~22 B parameters (~650 GB of traffic), more than a GPU holds.
// 2^24 parameters (about 0.5 GB of state, 0.5 GB moved a call, ~0.15 ms on an H100) are far past
// the size at which a streaming kernel reaches its bandwidth.
inline constexpr int64_t kAdamChunkParams = int64_t{1} << 24;
// chunks = ceil(params / kAdamChunkParams) calls of ceil(params / chunks) parameters each: at most
// chunks - 1 parameters more than `params` (rounded up), none of the chunks above the bound.
struct AdamChunks {
  int64_t chunks = 0;
  int64_t params_per_chunk = 0;
};
AdamChunks adam_chunks(double params);

}  // namespace tb
