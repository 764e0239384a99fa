#pragma once
// How much of ideal linear scaling a parallel layout keeps: one training step is modelled as
//   step = (m + p − 1) · (t_compute + t_tp + t_cp + t_ep + t_p2p)  +  (1 − overlap) · t_dp
//   ideal = m · t_compute / imbalance   (the even share: uneven stages cost their idle time)
// per GPU, with
//   t_compute = hardware FLOPs per token · b·s / (t·c·p) / sustained FLOP/s · imbalance   (one
//           micro-batch; imbalance = ceil(L/p)·p/L, the busiest stage's excess over an even split)
//   t_tp  = (L/p) · k · 2(t−1)/t · b·s·d·bytes / B_tp   — k = 4 all-reduces per layer (2 forward,
//           2 backward; Megatron-LM, Narayanan et al. 2021 §2.3), 6 with full recomputation
//           (the forward's 2 run again); not overlapped with compute.
//   t_cp  = (L/p) · 3 · (c−1)/c · 2·b·s·kv·bytes/t' / B_cp   with c > 1 context ranks — K and V
//           all-gathered in the forward, gathered again and their gradients reduce-scattered in
//           the backward (Llama 3 paper §3.3.2; kv the K/V width, t' = min(t, K/V heads));
//           not overlapped, so an upper bound where a ring overlaps it with attention.
//   t_ep  = (L_moe/p) · k_a · (e−1)/e · b·(s/c)·k·d·bytes/t / B_ep   with e > 1 expert ranks
//           (MoE): k_a = 4 all-to-alls per MoE layer (dispatch and combine, forward and backward;
//           6 with full recomputation), each sending every token to its k experts (each tensor
//           rank its 1/t share); nccl-tests' all-to-all busbw factor (e−1)/e; the fraction
//           ep_overlap hidden behind compute (DeepSeek-V3's DualPipe overlaps nearly all of it),
//           never more than t_compute: t_ep = all − min(ep_overlap · all, t_compute).
//   t_p2p = 2 · b·(s/c)·d·bytes/t / B_pp  when p > 1 — activation forward, gradient backward
//           (Narayanan et al. 2021 §4.1 scatter/gather: each tensor rank sends 1/t).
//   (m + p − 1)/m: the 1F1B pipeline bubble, (p−1)/m of the ideal time (Narayanan et al.
//           2021 §2.2.1), a fraction (p−1)/(m+p−1) of the step.
//   t_dp  = (n−1)/n · (r · params'·grad_bytes + a · params'·param_bytes) / B_dp   — the
//           gradient reduce-scattered r times and the weights all-gathered a times per step over
//           the n = c·d ranks holding the same weights (nccl-tests' bus bandwidth is the B of that
//           formula), as DeepSpeed and FSDP run each ZeRO stage (Rajbhandari et al. 2020 §5, §7):
//             ZeRO 0: one ring all-reduce, the volume of r = a = 1;
//             ZeRO 1: r = 1, a = 1 (the distributed optimizer's reduce-scatter, then the updated
//                     weights gathered): the all-reduce's volume;
//             ZeRO 2: r = m, a = 1 (each micro-batch's backward reduce-scatters its gradient,
//                     which is what frees the unsharded gradient's memory);
//             ZeRO 3: r = m, a = 2m (the weights gathered for every micro-batch's forward and
//                     again for its backward; the updated shard needs no gather): 1.5 times the
//                     all-reduce's volume at m = 1, the paper's §7.2.2.
//             ZeRO 3 kept gathered (FSDP's reshard_after_forward=False): r = m, a = m (the
//                     forward's gathered weights serve the backward too), the all-reduce's volume
//                     at m = 1; the memory model charges the weights held whole meanwhile.
//           With e-way expert parallelism the experts' share reduces over its c·d/e replicas
//           only (a second ring). params'/(t·p): the weights split over this GPU's tensor and
//           pipeline ranks, plus 1/p of those every tensor rank holds whole (MLA
//           down-projections, the MoE router).
// With context parallelism every per-micro-batch term above counts this GPU's b·s/c tokens.
// Scaling efficiency = ideal / step. Pure arithmetic; tested against hand computations.
#include <cstdint>
#include <string>
#include <vector>

#include "harness/comm/interconnect.hpp"
#include "harness/comm/parallel_layout.hpp"
#include "harness/model/model_config.hpp"
#include "harness/workload/workload.hpp"

namespace tb::comm {

struct CommModelInput {
  ModelConfig model;
  ParallelLayout layout;
  double hardware_flops_per_token = 0;  // summed over the model (all t·p shards)
  double sustained_tflops_per_gpu = 0;  // hardware FLOP/s of one GPU
  int bytes_per_element = 2;            // activations on the wire (bf16)
  int grad_bytes_per_element = 2;       // gradients on the wire: bf16, or fp32 where they accumulate in fp32
  int param_bytes_per_element = 2;      // weights all-gathered under ZeRO >= 1 (bf16)
  int zero_stage = 0;                   // 0..3: what the data-parallel group reduces and gathers per step
  bool zero3_keep_gathered = false;     // ZeRO 3 only: the forward's gathered weights kept for the backward
  double dp_overlap = 0;                // fraction of the gradient all-reduce hidden behind backward
  double ep_overlap = 0;                // fraction of the expert all-to-alls hidden behind compute
  Recompute recompute = Recompute::None;
  LinkBandwidths links;
};

// Which link a group's collectives cross: ranks are tensor-fastest, then data, then pipeline,
// so a group of g ranks at stride s stays inside one node iff s·g <= GPUs per node.
struct GroupLink {
  int64_t ranks = 1;
  bool inter_node = false;
  double gb_s = 0;      // 0 when ranks == 1 (nothing sent)
  std::string source;
};

struct ScalingEstimate {
  ParallelLayout layout;       // seq_len resolved
  int64_t gpus = 1;
  double tokens_per_step = 0;  // b·s·m·d, the global batch in tokens
  GroupLink tp_link, cp_link, pp_link, dp_link;  // dp_link: the c·d ranks reducing gradients
  GroupLink ep_link, expert_dp_link;            // e expert ranks; the c·d/e replicas of an expert
  double compute_s_per_micro_batch = 0;
  int allreduces_per_layer = 0;
  double tp_bytes_per_allreduce = 0;
  double tp_s_per_micro_batch = 0;
  int cp_collectives_per_layer = 0;
  double cp_bytes_per_collective = 0;  // K and V of the whole sequence on one tensor rank
  double cp_s_per_micro_batch = 0;
  int64_t moe_layers_per_stage = 0;
  int alltoalls_per_moe_layer = 0;
  double ep_bytes_per_alltoall = 0;    // tokens × k × hidden of one tensor rank
  double ep_all_s_per_micro_batch = 0; // every all-to-all of a micro-batch, before any overlap
  double ep_hidden_fraction = 0;       // of it hidden: ep_overlap, unless capped at t_compute
  double ep_s_per_micro_batch = 0;     // exposed: what the hidden part leaves
  double p2p_bytes = 0;
  double p2p_s_per_micro_batch = 0;
  double bubble_fraction = 0;   // (p−1)/(m+p−1)
  double bubble_s = 0;
  double dp_grad_bytes = 0;     // this GPU's gradient (dense and expert parts together)
  double expert_grad_bytes = 0; // its routed experts' part, reduced over c·d/e ranks
  double dp_param_bytes = 0;    // this GPU's weights, as ZeRO >= 1 all-gathers them
  int zero_stage = 0;
  bool zero3_keep_gathered = false;
  int64_t dp_reduce_scatters = 0;  // per step, ZeRO >= 1 (0 under ZeRO 0: one all-reduce)
  int64_t dp_all_gathers = 0;      // per step, ZeRO >= 1
  double dp_allreduce_s = 0;    // all the data-parallel traffic of a step: the all-reduce, or ZeRO's collectives
  double dp_exposed_s = 0;
  double dp_overlap = 0;
  double ep_overlap = 0;
  double ideal_step_s = 0;
  double step_s = 0;
  double efficiency = 1;        // ideal / step
  std::vector<std::string> reasons;  // one line per term, with its formula and source
};

// The data-parallel collectives one step runs under a ZeRO stage with m micro-batches (see t_dp
// above): 0 and 0 for ZeRO 0 (one all-reduce instead), 1 and 1, m and 1, m and 2m; m and m for
// ZeRO 3 with its weights kept gathered from the forward to the backward.
struct ZeroCollectives {
  int64_t reduce_scatters = 0;
  int64_t all_gathers = 0;
};
ZeroCollectives zero_collectives(int zero_stage, int64_t micro_batches, bool keep_gathered = false);

// Refuses a stage outside 0..3, and keep_gathered beside a stage other than 3, naming --zero and
// --zero3-keep-gathered.
void check_zero_stage(int zero_stage, bool keep_gathered);

// Refuses a layout the model cannot take and a missing bandwidth for a group that needs one,
// naming the flags that would supply it.
ScalingEstimate model_scaling(const CommModelInput& input);

}  // namespace tb::comm
