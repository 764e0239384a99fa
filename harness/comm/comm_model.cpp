#include "harness/comm/comm_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "harness/comm/size_list.hpp"
#include "harness/common/errors.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb::comm {

namespace {

GroupLink group_link(const char* what, int64_t ranks, int64_t stride, const LinkBandwidths& links) {
  GroupLink g;
  g.ranks = ranks;
  if (ranks == 1) return g;
  g.inter_node = stride * ranks > links.gpus_per_node;
  const auto& bw = g.inter_node ? links.inter_node_gb_s : links.intra_node_gb_s;
  if (!bw) {
    const char* link = g.inter_node ? "inter-node" : "intra-node";
    // A --comm-results file given measured the other link: asking for --comm-results again would
    // send the user back to the file that lacks it.
    if (!links.measured_file.empty() && links.measured_inter_node != g.inter_node)
      throw UsageError(fmt::format(
          "the {} group ({} ranks, {}) needs the {} bandwidth per GPU; --comm-results {} was measured {} ({} ranks: "
          "the {} link only): give {}",
          what, ranks, g.inter_node ? "across nodes" : "inside a node", link, links.measured_file,
          links.measured_inter_node ? "across nodes" : "on one node", links.measured_ranks,
          links.measured_inter_node ? "inter-node" : "intra-node",
          g.inter_node ? "the network as --interconnect infiniband|ethernet|nvlink|GBPS (e.g. the busbw `trainbench "
                         "comm` measures over 2 or more hosts), or --gpu SKU (its configs/skus [interconnect])"
                       : "--gpu SKU (its configs/skus [interconnect] intra-node figure)"));
    throw UsageError(fmt::format(
        "the {} group ({} ranks, {}) needs the {} bandwidth per GPU: give --gpu SKU (configs/skus "
        "[interconnect]), --interconnect nvlink|infiniband|ethernet|GBPS, or --comm-results FILE",
        what, ranks, g.inter_node ? "across nodes" : "inside a node", link));
  }
  g.gb_s = *bw;
  g.source = g.inter_node ? links.inter_source : links.intra_source;
  return g;
}

std::string where(const GroupLink& g) { return g.inter_node ? "across nodes" : "inside a node"; }

// "ZeRO 3: 16 x (2 all-gather + reduce-scatter) of 1.37 GiB per step": the stage and its counts.
std::string dp_traffic_words(const ScalingEstimate& e) {
  const std::string grad = human_bytes(e.dp_grad_bytes), params = human_bytes(e.dp_param_bytes);
  const int64_t m = e.layout.micro_batches;
  switch (e.zero_stage) {
    case 0: return fmt::format("ring all-reduce of the {} gradient per step", grad);
    case 1: return fmt::format("ZeRO 1: reduce-scatter of the {} gradient + all-gather of the {} weights per step", grad, params);
    case 2:
      return fmt::format("ZeRO 2: {} x reduce-scatter of the {} gradient (one per micro-batch) + all-gather of the {} "
                         "weights per step", m, grad, params);
    default:
      if (e.zero3_keep_gathered)
        return grad == params ? fmt::format("ZeRO 3 kept gathered: {} x (all-gather + reduce-scatter) of {} per step "
                                            "(the forward's weights kept for the backward)", m, grad)
                              : fmt::format("ZeRO 3 kept gathered: {} x (all-gather of the {} weights + reduce-scatter "
                                            "of the {} gradient) per step (the forward's weights kept for the "
                                            "backward)", m, params, grad);
      return grad == params ? fmt::format("ZeRO 3: {} x (2 all-gather + reduce-scatter) of {} per step (the weights "
                                          "gathered for each micro-batch's forward and backward)", m, grad)
                            : fmt::format("ZeRO 3: {} x (2 all-gather of the {} weights + reduce-scatter of the {} "
                                          "gradient) per step (the weights gathered for each micro-batch's forward and "
                                          "backward)", m, params, grad);
  }
}

}  // namespace

ZeroCollectives zero_collectives(int zero_stage, int64_t micro_batches, bool keep_gathered) {
  switch (zero_stage) {
    case 0: return {0, 0};
    case 1: return {1, 1};
    case 2: return {micro_batches, 1};
    // Kept gathered, the backward finds the forward's weights still whole: one gather a micro-batch.
    default: return {micro_batches, keep_gathered ? micro_batches : 2 * micro_batches};
  }
}

void check_zero_stage(int zero_stage, bool keep_gathered) {
  if (zero_stage < 0 || zero_stage > 3)
    throw UsageError(fmt::format("--zero must be 0, 1, 2 or 3 (got {})", zero_stage));
  if (keep_gathered && zero_stage != 3)
    throw UsageError(fmt::format("--zero3-keep-gathered keeps ZeRO-3's gathered weights from the forward to the "
                                 "backward: give it with --zero 3 (got --zero {})",
                                 zero_stage));
}

ScalingEstimate model_scaling(const CommModelInput& in) {
  validate_layout(in.layout, in.model);
  if (!(in.sustained_tflops_per_gpu > 0) || !(in.hardware_flops_per_token > 0))
    throw UsageError("the communication model needs a throughput: --tflops, --gpu with --mfu, or --results");
  if (!(in.dp_overlap >= 0 && in.dp_overlap <= 1))
    throw UsageError(fmt::format("--overlap must be in [0, 1] (got {})", in.dp_overlap));
  if (!(in.ep_overlap >= 0 && in.ep_overlap <= 1))
    throw UsageError(fmt::format("--ep-overlap must be in [0, 1] (got {})", in.ep_overlap));
  if (in.links.gpus_per_node < 1)
    throw UsageError(fmt::format("GPUs per node must be >= 1 (got {})", in.links.gpus_per_node));

  ScalingEstimate e;
  e.layout = in.layout;
  auto& l = e.layout;
  if (l.seq_len == 0) l.seq_len = in.model.seq_len;
  const double t = static_cast<double>(l.tp), p = static_cast<double>(l.pp), d = static_cast<double>(l.dp);
  const double c = static_cast<double>(l.cp);
  const double m = static_cast<double>(l.micro_batches);
  const double sequence_tokens = static_cast<double>(l.micro_batch_size * l.seq_len);
  // This GPU's share of a micro-batch: its s/c tokens of each of the b sequences.
  const double tokens_per_micro_batch = sequence_tokens / c;
  const double bytes = in.bytes_per_element;
  e.gpus = l.gpus();
  e.tokens_per_step = sequence_tokens * m * d;
  e.dp_overlap = in.dp_overlap;
  e.ep_overlap = in.ep_overlap;

  e.tp_link = group_link("tensor-parallel", l.tp, 1, in.links);
  e.cp_link = group_link("context-parallel", l.cp, l.tp, in.links);
  // Context and data ranks hold the same weights: gradients reduce over all c·d of them.
  e.dp_link = group_link("data-parallel", l.cp * l.dp, l.tp, in.links);
  e.pp_link = group_link("pipeline", l.pp, l.tp * l.cp * l.dp, in.links);
  // Expert ranks are neighbours among the c·d replicas; each expert's own replicas are the rest.
  e.ep_link = group_link("expert-parallel", l.ep, l.tp, in.links);
  e.expert_dp_link = group_link("expert data-parallel", l.cp * l.dp / l.ep, l.tp * l.ep, in.links);

  const double rate = in.sustained_tflops_per_gpu * 1e12;
  // The busiest stage sets the pace: with uneven stages it holds ceil(L/p) of the L layers, more
  // than 1/p of the work.
  const double stage_layers = static_cast<double>(layers_per_stage(l, in.model));
  const double imbalance = stage_layers * p / static_cast<double>(in.model.layers);
  e.compute_s_per_micro_batch = in.hardware_flops_per_token * tokens_per_micro_batch / (t * p) / rate * imbalance;
  // Context parallelism: K and V of the whole sequence gathered for attention in the forward,
  // gathered again in the backward (a copy c times the local K/V is not kept) and their gradients
  // reduce-scattered; with full recomputation the recomputed forward's gather serves the backward.
  // K/V heads fewer than the tensor ranks are replicated, not split further.
  e.cp_collectives_per_layer = 3;
  const double kv_width = in.model.kv_width();
  const double kv_shards = std::min(t, static_cast<double>(in.model.kv_heads));
  e.cp_bytes_per_collective = 2.0 * sequence_tokens * kv_width / kv_shards * bytes;
  if (l.cp > 1) {
    const double one = (c - 1.0) / c * e.cp_bytes_per_collective / (e.cp_link.gb_s * 1e9);
    e.cp_s_per_micro_batch = stage_layers * e.cp_collectives_per_layer * one;
  }

  // Tensor parallelism: Megatron-LM's f/g operators, 2 all-reduces forward and 2 backward per layer.
  e.allreduces_per_layer = in.recompute == Recompute::Full ? 6 : 4;
  e.tp_bytes_per_allreduce = tokens_per_micro_batch * static_cast<double>(in.model.hidden) * bytes;
  if (l.tp > 1) {
    const double one = 2.0 * (t - 1.0) / t * e.tp_bytes_per_allreduce / (e.tp_link.gb_s * 1e9);
    e.tp_s_per_micro_batch = stage_layers * e.allreduces_per_layer * one;
  }
  // Expert parallelism: dispatch and combine all-to-alls around every MoE layer's experts.
  e.moe_layers_per_stage = std::min<int64_t>(layers_per_stage(l, in.model), in.model.moe_layers());
  e.alltoalls_per_moe_layer = in.recompute == Recompute::Full ? 6 : 4;
  if (in.model.moe)
    e.ep_bytes_per_alltoall = tokens_per_micro_batch * static_cast<double>(in.model.moe->experts_per_token) *
                              static_cast<double>(in.model.hidden) * bytes / t;
  if (l.ep > 1) {
    const double ep = static_cast<double>(l.ep);
    const double one = (ep - 1.0) / ep * e.ep_bytes_per_alltoall / (e.ep_link.gb_s * 1e9);
    // What is hidden runs under compute, so no more than the micro-batch's compute time hides it.
    const double all = static_cast<double>(e.moe_layers_per_stage) * e.alltoalls_per_moe_layer * one;
    const double hidden = std::min(in.ep_overlap * all, e.compute_s_per_micro_batch);
    e.ep_all_s_per_micro_batch = all;
    e.ep_hidden_fraction = all > 0 ? hidden / all : 0.0;
    e.ep_s_per_micro_batch = all - hidden;
  }
  // Pipeline: one activation forward and one gradient backward per micro-batch and stage boundary.
  e.p2p_bytes = e.tp_bytes_per_allreduce / t;
  // Interleaved (v chunks per GPU): each micro-batch crosses v times as many stage boundaries,
  // and the bubble is (p-1)/v stage-times instead of p-1 (Narayanan et al. 2021 §2.2.2).
  const double v = static_cast<double>(l.virtual_stages);
  if (l.pp > 1) e.p2p_s_per_micro_batch = 2.0 * v * e.p2p_bytes / (e.pp_link.gb_s * 1e9);
  const double stage_s = e.compute_s_per_micro_batch + e.tp_s_per_micro_batch + e.cp_s_per_micro_batch +
                         e.ep_s_per_micro_batch + e.p2p_s_per_micro_batch;
  const double bubble_stages = (p - 1.0) / v;
  e.bubble_fraction = bubble_stages / (m + bubble_stages);
  e.bubble_s = bubble_stages * stage_s;

  // Data parallelism over the c·d replicas of this GPU's weights (params / (t·p)): one ring
  // all-reduce of the gradient per step, or under ZeRO its reduce-scatters and the weights'
  // all-gathers, as many per step as the stage needs (zero_collectives).
  check_zero_stage(in.zero_stage, in.zero3_keep_gathered);
  const GpuParams held = params_per_gpu(in.model, l.tp, l.pp, l.ep);
  // Megatron-LM all-reduces gradients in the dtype they accumulate in (fp32 with
  // --accumulate-allreduce-grads-in-fp32, trainbench's --grad-dtype fp32).
  const double grad_bytes = in.grad_bytes_per_element;
  const double param_bytes = in.param_bytes_per_element;
  e.expert_grad_bytes = held.experts * grad_bytes;
  e.dp_grad_bytes = held.shared * grad_bytes + e.expert_grad_bytes;
  e.dp_param_bytes = (held.shared + held.experts) * param_bytes;
  e.zero_stage = in.zero_stage;
  e.zero3_keep_gathered = in.zero3_keep_gathered;
  const ZeroCollectives z = zero_collectives(in.zero_stage, l.micro_batches, in.zero3_keep_gathered);
  e.dp_reduce_scatters = z.reduce_scatters;
  e.dp_all_gathers = z.all_gathers;
  // One rank's share of the traffic of this GPU's `params` over `ranks` (nccl-tests' busbw B):
  // (n−1)/n of the bytes for each reduce-scatter or all-gather, 2(n−1)/n for an all-reduce.
  auto traffic = [&](double params, double ranks, const GroupLink& link) {
    if (ranks <= 1) return 0.0;
    const double bytes = in.zero_stage == 0
                             ? 2.0 * params * grad_bytes
                             : static_cast<double>(z.reduce_scatters) * params * grad_bytes +
                                   static_cast<double>(z.all_gathers) * params * param_bytes;
    return (ranks - 1.0) / ranks * bytes / (link.gb_s * 1e9);
  };
  const double replicas = c * d;
  if (l.ep == 1) {
    e.dp_allreduce_s = traffic(held.shared + held.experts, replicas, e.dp_link);
  } else {
    e.dp_allreduce_s = traffic(held.shared, replicas, e.dp_link) +
                       traffic(held.experts, replicas / static_cast<double>(l.ep), e.expert_dp_link);
  }
  e.dp_exposed_s = (1.0 - in.dp_overlap) * e.dp_allreduce_s;

  // Ideal: this GPU's even share of the work, 1/(t·p) of it, so that uneven stages cost their
  // imbalance in the efficiency (and so in days and GPU-hours), not only in the pace.
  e.ideal_step_s = m * e.compute_s_per_micro_batch / imbalance;
  e.step_s = (m + bubble_stages) * stage_s + e.dp_exposed_s;
  e.efficiency = e.ideal_step_s / e.step_s;

  auto share = [&](double s) { return 100.0 * s / e.step_s; };
  e.reasons.push_back(fmt::format(
      "layout tp {}{} x pp {} x dp {}{} = {} GPUs, {} micro-batch(es) of {} x {} tokens per step; {} GPUs per node ({})",
      l.tp, l.cp > 1 ? fmt::format(" x cp {}", l.cp) : "", l.pp, l.dp, l.ep > 1 ? fmt::format(" (ep {})", l.ep) : "", e.gpus, l.micro_batches, l.micro_batch_size, l.seq_len, in.links.gpus_per_node,
      in.links.gpus_per_node_source));
  e.reasons.push_back(fmt::format("compute: {:.2f} ms per micro-batch per GPU at {:.1f} TFLOP/s", 
                                  1e3 * e.compute_s_per_micro_batch, in.sustained_tflops_per_gpu));
  if (l.tp > 1)
    e.reasons.push_back(fmt::format(
        "tensor parallel: {} all-reduces per layer x {} layers per stage of {} (b*s/cp*d) {} at {:g} GB/s busbw ({}): "
        "{:.2f} ms per micro-batch, not overlapped, {:.1f}% of the step [Narayanan et al. 2021 s2.3]",
        e.allreduces_per_layer, layers_per_stage(l, in.model), human_bytes(e.tp_bytes_per_allreduce), where(e.tp_link),
        e.tp_link.gb_s, e.tp_link.source, 1e3 * e.tp_s_per_micro_batch, share(m * e.tp_s_per_micro_batch)));
  else
    e.reasons.push_back("tensor parallel: none (tp 1)");
  if (l.cp > 1)
    e.reasons.push_back(fmt::format(
        "context parallel: {} ranks hold {} tokens of each sequence; per layer K and V ({} for the whole sequence "
        "per tensor rank) all-gathered forward, again backward, gradients reduce-scattered: {} x (c-1)/c at {:g} GB/s "
        "busbw {} ({}): {:.2f} ms per micro-batch, not overlapped (an upper bound), {:.1f}% of the step [Llama 3 paper "
        "s3.3.2]",
        l.cp, l.seq_len / l.cp, human_bytes(e.cp_bytes_per_collective), e.cp_collectives_per_layer, e.cp_link.gb_s,
        where(e.cp_link), e.cp_link.source, 1e3 * e.cp_s_per_micro_batch, share(m * e.cp_s_per_micro_batch)));
  if (l.ep > 1)
    e.reasons.push_back(fmt::format(
        "expert parallel: {} ranks hold {} of the {} experts each; {} all-to-alls per MoE layer x {} MoE layers per "
        "stage of {} (b*s/cp*k*d/tp) x (e-1)/e {} at {:g} GB/s busbw ({}): {:.2f} ms per micro-batch, {:.0f}% "
        "hidden behind compute (--ep-overlap {:g}{}) -> {:.2f} ms exposed, {:.1f}% of the step [GShard; "
        "Megatron-Core MoE]",
        l.ep, in.model.moe->experts / l.ep, in.model.moe->experts, e.alltoalls_per_moe_layer, e.moe_layers_per_stage,
        human_bytes(e.ep_bytes_per_alltoall), where(e.ep_link), e.ep_link.gb_s, e.ep_link.source,
        1e3 * e.ep_all_s_per_micro_batch, 100.0 * e.ep_hidden_fraction, in.ep_overlap,
        e.ep_hidden_fraction < in.ep_overlap - 1e-12 ? ", capped at the compute time" : "",
        1e3 * e.ep_s_per_micro_batch, share(m * e.ep_s_per_micro_batch)));
  if (in.model.layers % l.pp != 0)
    e.reasons.push_back(fmt::format("uneven pipeline stages: {} layers over {} stages, the busiest holds {} and sets the "
                                    "pace ({:.1f}% more per micro-batch than an even split)",
                                    in.model.layers, l.pp, layers_per_stage(l, in.model),
                                    100.0 * (static_cast<double>(layers_per_stage(l, in.model)) * p /
                                                 static_cast<double>(in.model.layers) - 1.0)));
  if (l.pp > 1) {
    if (l.virtual_stages > 1)
      e.reasons.push_back(fmt::format(
          "pipeline bubble, interleaved over {} chunks per GPU: ((p-1)/v)/(m+(p-1)/v) = {:.1f}% of the step "
          "[Narayanan et al. 2021 s2.2.2]",
          l.virtual_stages, 100.0 * e.bubble_fraction));
    else
      e.reasons.push_back(fmt::format(
          "pipeline bubble: (p-1)/(m+p-1) = {}/{} = {:.1f}% of the step [Narayanan et al. 2021 s2.2]; give more "
          "--micro-batches (or --virtual-stages) to shrink it",
          l.pp - 1, l.micro_batches + l.pp - 1, 100.0 * e.bubble_fraction));
    e.reasons.push_back(fmt::format("pipeline send/recv: 2 x {}{} per micro-batch {} at {:g} GB/s ({}): {:.3f} ms",
                                    l.virtual_stages > 1 ? fmt::format("{} x ", l.virtual_stages) : "",
                                    human_bytes(e.p2p_bytes), where(e.pp_link), e.pp_link.gb_s, e.pp_link.source,
                                    1e3 * e.p2p_s_per_micro_batch));
  } else {
    e.reasons.push_back("pipeline: none (pp 1), no bubble");
  }
  if (l.dp * l.cp > 1)
    e.reasons.push_back(fmt::format(
        "data parallel: {}, over {} ranks{}{} {} at {:g} GB/s busbw ({}): {:.1f} ms per step, {:.0f}% overlapped "
        "with backward (--overlap) -> {:.1f} ms exposed, {:.1f}% of the step{}",
        dp_traffic_words(e), l.dp * l.cp, l.cp > 1 ? fmt::format(" (dp {} x cp {})", l.dp, l.cp) : "",
        l.ep > 1 ? fmt::format(", the experts' {} of it over their {} replicas", human_bytes(e.expert_grad_bytes),
                               l.dp * l.cp / l.ep)
                 : "",
        where(e.dp_link), e.dp_link.gb_s, e.dp_link.source, 1e3 * e.dp_allreduce_s, 100.0 * in.dp_overlap,
        1e3 * e.dp_exposed_s, share(e.dp_exposed_s),
        in.zero3_keep_gathered ? " [ZeRO s7; FSDP reshard_after_forward=False]"
        : in.zero_stage >= 2   ? " [ZeRO, Rajbhandari et al. 2020 s5, s7]"
                               : ""));
  else
    e.reasons.push_back("data parallel: none (dp 1)");
  e.reasons.push_back(fmt::format("step {:.1f} ms modelled vs {:.1f} ms ideal -> scaling efficiency {:.1f}%",
                                  1e3 * e.step_s, 1e3 * e.ideal_step_s, 100.0 * e.efficiency));
  return e;
}

}  // namespace tb::comm
