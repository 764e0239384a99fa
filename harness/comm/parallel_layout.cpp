#include "harness/comm/parallel_layout.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/common/errors.hpp"

namespace tb::comm {

void check_layout_sizes(const ParallelLayout& l) {
  auto positive = [](int64_t v, const char* flag) {
    if (v < 1 || v > 1'000'000) throw UsageError(fmt::format("{} must be between 1 and 1000000 (got {})", flag, v));
  };
  positive(l.tp, "--tp");
  positive(l.cp, "--cp");
  positive(l.pp, "--pp");
  positive(l.dp, "--dp");
  positive(l.ep, "--ep");
  positive(l.micro_batches, "--micro-batches");
  positive(l.micro_batch_size, "--micro-batch-size");
  // The fleet --gpus may name at most; in double, where the int64 product could overflow.
  const double gpus = static_cast<double>(l.tp) * static_cast<double>(l.cp) * static_cast<double>(l.pp) *
                      static_cast<double>(l.dp);
  if (gpus > 1e8)
    throw UsageError(fmt::format("--tp {} x --cp {} x --pp {} x --dp {} is {:.3g} GPUs, more than the 100000000 --gpus "
                                 "allows",
                                 l.tp, l.cp, l.pp, l.dp, gpus));
}

void check_context_split(int64_t cp, int64_t seq) {
  // Without context parallelism there are no chunks to balance: any length (2049-token windows).
  if (cp == 1) return;
  if (cp < 1 || cp > 1'000'000 || seq % (2 * cp) != 0)
    throw UsageError(fmt::format("--cp {} must split the sequence of {} tokens into 2 x {} equal chunks (Megatron-Core's "
                                 "load-balanced context parallelism): give a --cp from 1 to 1000000 whose double "
                                 "divides {}",
                                 cp, seq, cp, seq));
}

void check_expert_parallel(int64_t ep, const ModelConfig& model) {
  if (ep < 1 || ep > 1'000'000) throw UsageError(fmt::format("--ep must be between 1 and 1000000 (got {})", ep));
  if (ep == 1) return;
  if (!model.moe)
    throw UsageError(fmt::format("--ep {}: {} has no experts (no [moe] table); expert parallelism needs a "
                                 "mixture-of-experts model",
                                 ep, model.name));
  if (model.moe->experts % ep != 0)
    throw UsageError(fmt::format("--ep {} must divide {}'s {} experts", ep, model.name, model.moe->experts));
}

std::vector<int64_t> accepted_virtual_stages(const ParallelLayout& l, const ModelConfig& model) {
  std::vector<int64_t> out;
  const int64_t stage = layers_per_stage(l, model);
  for (int64_t v = 1; v <= stage; ++v)
    if (stage % v == 0 && (v == 1 || l.pp * v <= model.layers)) out.push_back(v);
  return out;
}

void check_virtual_stages(const ParallelLayout& l, const ModelConfig& model) {
  if (l.virtual_stages == 1 || l.pp < 1 || l.pp > model.layers) return;
  const int64_t stage = layers_per_stage(l, model);
  if (stage % l.virtual_stages == 0) return;
  const bool even = model.layers % l.pp == 0;
  throw UsageError(fmt::format(
      "--virtual-stages {} does not divide the {} layers per pipeline stage ({}'s {} layers over --pp {}{}): Megatron-LM's "
      "interleaved schedule splits each stage into equal chunks; give --virtual-stages {}",
      l.virtual_stages, stage, model.name, model.layers, l.pp, even ? "" : ", the busiest stage's count",
      fmt::join(accepted_virtual_stages(l, model), ", ")));
}

void validate_layout(const ParallelLayout& l, const ModelConfig& model) {
  check_layout_sizes(l);
  if (l.seq_len < 0) throw UsageError(fmt::format("--seq must be positive (got {})", l.seq_len));
  // Megatron-LM splits attention heads across the tensor group, and layers evenly across stages.
  if (model.heads % l.tp != 0)
    throw UsageError(fmt::format("--tp {} does not divide {}'s {} attention heads", l.tp, model.name, model.heads));
  // K/V heads split over the group, or replicated when there are fewer than its ranks.
  if (model.kv_heads % l.tp != 0 && l.tp % model.kv_heads != 0)
    throw UsageError(fmt::format("--tp {} neither divides {}'s {} K/V heads nor is a multiple of them", l.tp,
                                 model.name, model.kv_heads));
  check_context_split(l.cp, l.seq_len > 0 ? l.seq_len : model.seq_len);
  if (l.virtual_stages < 1 || l.virtual_stages > 1'000'000)
    throw UsageError(fmt::format("--virtual-stages must be between 1 and 1000000 (got {})", l.virtual_stages));
  if (l.virtual_stages > 1) {
    // Megatron-LM's interleaved schedule: chunks of layers on every stage, micro-batches in
    // groups of p.
    if (l.pp < 2) throw UsageError("--virtual-stages interleaves pipeline stages: give --pp 2 or more");
    check_virtual_stages(l, model);
    if (l.pp * l.virtual_stages > model.layers)
      throw UsageError(fmt::format("--pp {} x --virtual-stages {}: more model chunks than {}'s {} layers", l.pp,
                                   l.virtual_stages, model.name, model.layers));
    if (l.micro_batches % l.pp != 0)
      throw UsageError(fmt::format("--micro-batches {} must be a multiple of --pp {} with --virtual-stages (Megatron-LM's "
                                   "interleaved schedule)",
                                   l.micro_batches, l.pp));
  }
  check_expert_parallel(l.ep, model);
  if ((l.cp * l.dp) % l.ep != 0)
    throw UsageError(fmt::format("--ep {} must divide the ranks that replicate the weights, --dp {} x --cp {} = {} "
                                 "(expert parallelism splits the experts over them): give --dp, or --gpus, so that "
                                 "dp x cp is a multiple of {}",
                                 l.ep, l.dp, l.cp, l.cp * l.dp, l.ep));
  if (l.pp > model.layers)
    throw UsageError(fmt::format("--pp {}: more pipeline stages than {}'s {} layers", l.pp, model.name,
                                 model.layers));
}

int64_t layers_per_stage(const ParallelLayout& l, const ModelConfig& model) {
  return (model.layers + l.pp - 1) / l.pp;
}

}  // namespace tb::comm
