#include "harness/workload/optimizer_step.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "harness/common/errors.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb {

MicroBatches resolve_micro_batches(const ModelConfig& model, int64_t micro_batch, int64_t seq_len,
                                   int64_t data_parallel, std::optional<int64_t> given) {
  if (given) {
    if (*given <= 0)
      throw UsageError(fmt::format("--micro-batches must be a positive integer (got {})", *given));
    return {*given, "--micro-batches"};
  }
  if (!model.batch_sequences)
    return {1, fmt::format("{}'s config publishes no batch ([training] batch_sequences): 1, the once-per-optimizer-"
                           "step work charged in full (an upper bound)",
                           model.name)};
  const int64_t batch = *model.batch_sequences;
  // An assumed batch (the maker published none) says so wherever it sets M.
  const std::string assumed = model.batch_assumed.empty() ? "" : fmt::format(" (assumed: {})", model.batch_assumed);
  // In doubles first: --micro-batch and --dp come from the command line, and their product must
  // not wrap before it is compared with the batch.
  const bool beyond_batch = static_cast<double>(micro_batch) * static_cast<double>(data_parallel) >
                            static_cast<double>(batch);
  const int64_t per_micro_batch = beyond_batch ? batch + 1 : micro_batch * data_parallel;
  if (seq_len == model.seq_len || seq_len <= 0) {
    if (per_micro_batch <= 0 || beyond_batch || batch % per_micro_batch != 0)
      throw UsageError(fmt::format("--micro-batch {} x --dp {} = {:.0f} sequences does not divide {}'s batch of {} "
                                   "sequences ([training] batch_sequences): give --micro-batch and --dp that divide "
                                   "it, or --micro-batches M",
                                   micro_batch, data_parallel,
                                   static_cast<double>(micro_batch) * static_cast<double>(data_parallel), model.name,
                                   batch));
    return {batch / per_micro_batch, fmt::format("{}'s batch of {} sequences{} / (micro-batch {} x dp {})", model.name,
                                                 batch, assumed, micro_batch, data_parallel)};
  }
  // At another sequence length the batch is its tokens: the optimizer step comes once per
  // batch_sequences x context tokens, whatever the micro-batches are cut to. Rounded down where
  // they do not divide it (a share a little above the true one); a micro-batch of more tokens than
  // the batch is refused.
  const int64_t tokens = batch * model.seq_len;
  if (static_cast<double>(micro_batch) * static_cast<double>(data_parallel) * static_cast<double>(seq_len) >
      static_cast<double>(tokens))
    throw UsageError(fmt::format("--micro-batch {} x --seq {} x --dp {} tokens is more than {}'s batch of {} sequences x "
                                 "{} tokens ([training] batch_sequences): give a smaller --dp or --micro-batch, or "
                                 "--micro-batches M",
                                 micro_batch, seq_len, data_parallel, model.name, batch, model.seq_len));
  const int64_t per_micro_batch_tokens = per_micro_batch * seq_len;
  const int64_t count = tokens / per_micro_batch_tokens;
  return {count, fmt::format("{}'s batch of {} sequences x {} tokens{} / (micro-batch {} x seq {} x dp {}){}",
                             model.name, batch, model.seq_len, assumed, micro_batch, seq_len, data_parallel,
                             tokens % per_micro_batch_tokens == 0 ? "" : ", rounded down")};
}

double optimizer_params_per_gpu(const ModelConfig& model, int64_t tp, int64_t ep, int64_t dp, bool sharded) {
  const GpuParams p = params_per_gpu(model, tp, 1, ep);
  const double t = static_cast<double>(tp);
  const double padding_rows = static_cast<double>(padded_vocab(model, tp) - model.vocab);
  const double padding = padding_rows * static_cast<double>(model.hidden) / t * (model.tied_embeddings ? 1.0 : 2.0);
  double shared = p.shared + padding, experts = p.experts;
  if (sharded) {
    shared /= static_cast<double>(dp);
    experts /= static_cast<double>(dp) / static_cast<double>(ep);
  }
  return shared + experts;
}

AdamChunks adam_chunks(double params) {
  const auto total = static_cast<int64_t>(std::ceil(params - 1e-6));
  if (total <= 0) return {};
  const int64_t chunks = (total + kAdamChunkParams - 1) / kAdamChunkParams;
  return {chunks, (total + chunks - 1) / chunks};
}

}  // namespace tb
