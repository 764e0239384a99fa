#include "harness/comm/model_messages.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "harness/model/parameter_count.hpp"

namespace tb::comm {

std::vector<ModelMessage> model_messages(const ModelConfig& model, const ParallelLayout& layout, DType dtype) {
  const int64_t e = dtype_bytes(dtype);
  const int64_t b = layout.micro_batch_size;
  const int64_t s = layout.seq_len > 0 ? layout.seq_len : model.seq_len;
  const int64_t local = s / std::max<int64_t>(1, layout.cp);  // this GPU's tokens of each sequence
  const int64_t d = model.hidden;
  const int64_t activation = b * local * d * e;
  // With expert parallelism the experts' share of the gradient is 1/e as large and reduces over
  // the c·d/e ranks holding the same experts: a second stream of buckets.
  const GpuParams held = params_per_gpu(model, layout.tp, layout.pp, layout.ep);
  const bool expert_split = model.moe && layout.ep > 1;
  const double grads_per_gpu = (expert_split ? held.shared : held.shared + held.experts) * e;
  const double expert_grads_per_gpu = held.experts * e;
  const int64_t bucket = std::min<int64_t>(kDdpBucketBytes, static_cast<int64_t>(grads_per_gpu));
  std::vector<ModelMessage> out;
  out.push_back({"tp.allreduce", Collective::AllReduce, activation, layout.tp,
                 fmt::format("b*s{}*d = {}*{}*{} x {} B: a layer's output, 4 per layer per micro-batch",
                             layout.cp > 1 ? "/cp" : "", b, local, d, e)});
  out.push_back({"tp.seqpar.reducescatter", Collective::ReduceScatter, activation, layout.tp,
                 layout.cp > 1 ? "b*s/cp*d: sequence parallelism's half of an all-reduce (Korthikanti et al. 2022)"
                               : "b*s*d: sequence parallelism's half of an all-reduce (Korthikanti et al. 2022)"});
  out.push_back({"tp.seqpar.allgather", Collective::AllGather, activation, layout.tp,
                 layout.cp > 1 ? "b*s/cp*d: sequence parallelism's other half" : "b*s*d: sequence parallelism's other half"});
  if (layout.cp > 1) {
    // K and V of the whole sequence for this tensor rank's K/V heads (replicated below t).
    const int64_t kv_shards = std::min(layout.tp, model.kv_heads);
    const auto kv = static_cast<int64_t>(2.0 * static_cast<double>(b * s) * model.kv_width() /
                                         static_cast<double>(kv_shards) * static_cast<double>(e));
    out.push_back({"cp.kv.allgather", Collective::AllGather, kv, layout.cp,
                   "2*b*s*kv/tp: K and V of the whole sequence for attention, 2 per layer (forward, backward)"});
    out.push_back({"cp.kv.reducescatter", Collective::ReduceScatter, kv, layout.cp,
                   "2*b*s*kv/tp: the gradients of K and V back to their ranks, 1 per layer"});
  }
  if (model.moe && layout.ep > 1) {
    // Each token's hidden state to its k experts and back, each tensor rank its 1/t of the tokens.
    const int64_t k = model.moe->experts_per_token;
    out.push_back({"ep.alltoall", Collective::AllToAll, std::max<int64_t>(b * local * k * d * e / layout.tp, e), layout.ep,
                   fmt::format("b*s{}*k*d/tp: tokens to their {} experts (dispatch) and back (combine), 4 per MoE layer",
                               layout.cp > 1 ? "/cp" : "", k)});
  }
  // Gradients reduce over every rank holding the same weights: data and context ranks.
  out.push_back({"dp.grad_bucket", Collective::AllReduce, bucket, layout.dp * layout.cp,
                 fmt::format("25 MiB DDP bucket of the {:.3g} GB gradient per GPU ({}params/(tp*pp), replicated ones /pp)",
                             grads_per_gpu / 1e9, expert_split ? "non-expert " : "")});
  if (expert_split)
    out.push_back({"ep.grad_bucket", Collective::AllReduce,
                   std::max<int64_t>(std::min<int64_t>(kDdpBucketBytes, static_cast<int64_t>(expert_grads_per_gpu)), e),
                   layout.dp * layout.cp / layout.ep,
                   fmt::format("25 MiB bucket of the {:.3g} GB expert gradient per GPU (expert params/(tp*pp*ep)), "
                               "over the dp*cp/ep ranks holding the same experts",
                               expert_grads_per_gpu / 1e9)});
  out.push_back({"pp.activation", Collective::SendRecv, std::max<int64_t>(activation / layout.tp, e), layout.pp,
                 "b*s*d/tp: activation (forward) or its gradient (backward) between stages"});
  return out;
}

}  // namespace tb::comm
