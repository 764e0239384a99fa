#include "harness/comm/estimate_scaling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "harness/common/errors.hpp"
#include "harness/common/human_format.hpp"
#include "harness/common/units.hpp"

namespace tb::comm {

int64_t default_micro_batches(int64_t pp) { return pp > 1 ? 4 * pp : 1; }

bool batch_sets_micro_batches(std::optional<int64_t> batch, const ParallelLayout& l) {
  const int64_t per_step = l.micro_batch_size * l.dp;
  if (!batch || *batch % per_step != 0 || *batch < per_step) return false;
  // Megatron-LM's interleaved schedule takes micro-batches in groups of p.
  return l.virtual_stages == 1 || (*batch / per_step) % l.pp == 0;
}

int64_t default_micro_batches(std::optional<int64_t> batch, const ParallelLayout& l) {
  // The model's published batch fixes m = B / (b·dp): a layout's pipelines share that batch, as
  // the layout search assumes, rather than each taking 4·pp micro-batches of its own.
  if (batch_sets_micro_batches(batch, l)) return *batch / (l.micro_batch_size * l.dp);
  return default_micro_batches(l.pp);
}

namespace {
int64_t micro_batches_for(const EstimateRequest& r, const ParallelLayout& l) {
  return r.micro_batches ? *r.micro_batches : default_micro_batches(r.model.batch_sequences, l);
}
}  // namespace

int64_t dp_multiple(int64_t ep, int64_t cp) { return ep / std::gcd(ep, cp); }

namespace {
std::string cp_factor(const ParallelLayout& l) { return l.cp != 1 ? fmt::format(" x --cp {}", l.cp) : ""; }
}  // namespace

std::string global_batch_note(const EstimateRequest& r, const ParallelLayout& l) {
  const int64_t sequences = l.micro_batches * l.micro_batch_size * l.dp;
  const std::string line = fmt::format("global batch: m {} x b {} x dp {} = {} sequences = {} tokens per optimizer step",
                                       l.micro_batches, l.micro_batch_size, l.dp, sequences,
                                       human_count(static_cast<double>(sequences * l.seq_len)));
  const auto batch = r.model.batch_sequences;
  if (!batch) return fmt::format("{} ({} publishes no batch)", line, r.model.name);
  if (sequences == *batch) return fmt::format("{}, {}'s own", line, r.model.name);
  // The throughput model holds at any batch, so the answer stands, but for another training run:
  // the same tokens in fewer or more optimizer steps, at a batch the model was not tuned for.
  const std::string why =
      r.micro_batches ? "--micro-batches sets it"
      : l.virtual_stages > 1 && *batch % (l.micro_batch_size * l.dp) == 0
          ? fmt::format("the interleaved schedule (--virtual-stages {}) takes micro-batches in groups of pp {}, and "
                        "{} / (b {} x dp {}) = {} is not one: give --virtual-stages 1, a dp that leaves a multiple of "
                        "pp, or --micro-batches M for this batch on purpose",
                        l.virtual_stages, l.pp, *batch, l.micro_batch_size, l.dp,
                        *batch / (l.micro_batch_size * l.dp))
          : fmt::format("{} does not split into dp {} x b {}{}, so m is the assumed default: give a dp that divides "
                        "it, or --micro-batches M for this batch on purpose",
                        *batch, l.dp, l.micro_batch_size, l.virtual_stages > 1 ? " in groups of pp" : "");
  return fmt::format("WARNING: {}, {:.3g}x {}'s {} sequences ({} tokens{}): another training run than the model's "
                     "(the same tokens in other optimizer steps); {}",
                     line, static_cast<double>(sequences) / static_cast<double>(*batch), r.model.name, *batch,
                     human_count(static_cast<double>(*batch * l.seq_len)),
                     r.model.batch_assumed.empty() ? "" : ", assumed", why);
}

ParallelLayout layout_from_request(const EstimateRequest& r, int64_t seq_len) {
  ParallelLayout l;
  l.tp = r.tp.value_or(1);
  l.cp = r.cp.value_or(1);
  l.pp = r.pp.value_or(1);
  l.micro_batches = r.micro_batches.value_or(default_micro_batches(l.pp));  // until dp is known
  l.virtual_stages = r.virtual_stages;
  l.micro_batch_size = r.micro_batch_size;
  l.ep = r.ep.value_or(1);
  check_expert_parallel(l.ep, r.model);  // before any advice on dp that assumes this e is possible
  l.seq_len = seq_len;
  if (r.dp) l.dp = *r.dp;
  check_layout_sizes(l);
  if (r.dp) {
    l.dp = *r.dp;
    if (r.gpus && *r.gpus != l.gpus())
      throw UsageError(fmt::format("--gpus {} contradicts --tp {}{} x --pp {} x --dp {} = {}", *r.gpus, l.tp,
                                   cp_factor(l), l.pp, l.dp, l.gpus()));
  } else if (r.gpus) {
    const int64_t model_parallel = l.tp * l.cp * l.pp;
    if (*r.gpus % model_parallel != 0)
      throw UsageError(fmt::format("--gpus {} is not a multiple of --tp {}{} x --pp {} = {}", *r.gpus, l.tp,
                                   cp_factor(l), l.pp, model_parallel));
    l.dp = *r.gpus / model_parallel;
    if (l.dp % dp_multiple(l.ep, l.cp) != 0)
      throw UsageError(fmt::format("--gpus {} leaves --dp {}, which --ep {} does not divide with --cp {}: give --gpus a "
                                   "multiple of {}",
                                   *r.gpus, l.dp, l.ep, l.cp, model_parallel * dp_multiple(l.ep, l.cp)));
  }
  l.micro_batches = micro_batches_for(r, l);
  return l;
}

LinkBandwidths default_links(const EstimateRequest& r) {
  LinkBandwidths links = r.sku ? links_from_sku(*r.sku) : LinkBandwidths{};
  if (r.site) apply_site(links, *r.site);
  return links;
}

void apply_comm_model(const EstimateRequest& r, EstimateResult& out) {
  if (!out.sustained_tflops_per_gpu || !out.gpu_hours)
    throw UsageError("--tp/--pp/--dp weigh communication against compute time: give a throughput (--tflops, --gpu "
                     "with --mfu, or --results)");
  CommModelInput in;
  in.model = r.model;
  in.layout = layout_from_request(r, out.seq_len);
  in.hardware_flops_per_token = out.hardware_flops_per_token;
  in.sustained_tflops_per_gpu = *out.sustained_tflops_per_gpu;
  in.bytes_per_element = dtype_bytes(r.dtype == DType::FP8 ? DType::BF16 : r.dtype);  // fp8 GEMMs keep bf16 wires
  // Gradients travel in the dtype they accumulate in (fp32 with --grad-dtype fp32), the weights
  // ZeRO all-gathers in the training dtype's 16 bits.
  in.grad_bytes_per_element = std::max(r.grad_bytes, in.bytes_per_element);
  in.param_bytes_per_element = in.bytes_per_element;
  in.zero_stage = r.zero_stage;
  in.zero3_keep_gathered = r.zero3_keep_gathered;
  in.dp_overlap = r.overlap.value_or(0.0);
  in.ep_overlap = r.ep_overlap.value_or(0.0);
  in.recompute = r.recompute;
  in.links = r.interconnect ? *r.interconnect : default_links(r);
  const int64_t model_parallel = in.layout.tp * in.layout.cp * in.layout.pp;

  const double ideal_gpu_seconds = *out.gpu_hours * units::kSecondsPerHour;
  int64_t gpus = 0;
  if (!r.dp && !r.gpus && r.days) {
    // GPUs for the deadline depend on the efficiency, which depends on dp: iterate. Efficiency
    // falls as dp grows, so the GPU count only rises and settles within a few rounds.
    const double deadline_s = *r.days * units::kSecondsPerDay;
    in.layout.dp = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(ideal_gpu_seconds / deadline_s / model_parallel - 1e-9)));
    const int64_t multiple = dp_multiple(in.layout.ep, in.layout.cp);
    in.layout.dp = (in.layout.dp + multiple - 1) / multiple * multiple;
    // A dp the deadline sets need not divide the batch: the micro-batches stay at their fixed
    // default (4·pp) through the iteration, so that efficiency falls steadily as dp grows.
    if (!r.micro_batches) in.layout.micro_batches = default_micro_batches(in.layout.pp);
    for (int round = 0; round < 64; ++round) {
      const double eff = model_scaling(in).efficiency;
      const auto needed = static_cast<int64_t>(std::ceil(ideal_gpu_seconds / eff / deadline_s - 1e-9));
      int64_t dp = std::max<int64_t>(1, (needed + model_parallel - 1) / model_parallel);
      const int64_t multiple = dp_multiple(in.layout.ep, in.layout.cp);  // expert ranks come out of cp·dp
      dp = (dp + multiple - 1) / multiple * multiple;
      if (dp <= in.layout.dp) break;
      in.layout.dp = dp;
    }
  }
  gpus = in.layout.gpus();

  ScalingEstimate s = model_scaling(in);
  if (!r.micro_batches) {
    const auto batch = r.model.batch_sequences;
    const bool deadline_dp = !r.dp && !r.gpus && r.days;
    s.reasons.insert(s.reasons.begin() + 1,
                     !deadline_dp && batch_sets_micro_batches(batch, in.layout)
                         ? fmt::format("micro-batches: {} = {}'s global batch of {} sequences{} / (dp {} x b {}); give "
                                       "--micro-batches for another batch",
                                       in.layout.micro_batches, r.model.name, *batch,
                                       r.model.batch_assumed.empty()
                                           ? std::string()
                                           : fmt::format(" (assumed: {})", r.model.batch_assumed),
                                       in.layout.dp,
                                       in.layout.micro_batch_size)
                         : fmt::format("micro-batches: {} assumed (1 without pipelining, else 4 x pp{}); give "
                                       "--micro-batches",
                                       in.layout.micro_batches,
                                       deadline_dp ? std::string("; dp set by the deadline")
                                       : batch     ? fmt::format("; {}'s batch of {} does not split into dp {} x b {} "
                                                                 "pipelines{}",
                                                                 r.model.name, *batch, in.layout.dp,
                                                                 in.layout.micro_batch_size,
                                                                 in.layout.virtual_stages > 1 ? " in groups of pp" : "")
                                                   : ""));
  }
  // The batch the micro-batches amount to, beside the model's, just after the micro-batches' line.
  s.reasons.insert(s.reasons.begin() + (r.micro_batches ? 1 : 2), global_batch_note(r, in.layout));
  // Where the bubble dominates, the model is a pessimistic bound: it knows 1F1B and uniform
  // interleaving, not the schedules large runs use (Llama 3 405B's trimmed end stages).
  if (s.bubble_fraction > 0.25)
    s.reasons.push_back(fmt::format("the pipeline bubble is {:.0f}% of the step: read these days as pessimistic for a "
                                    "pipeline this deep (docs/comm.md, 'Checked against a published layout')",
                                    100 * s.bubble_fraction));
  if (!r.ep_overlap && in.layout.ep > 1)
    s.reasons.push_back("overlap of the expert all-to-alls assumed 0 (none); give --ep-overlap 0..1");
  if (r.ep_overlap && in.layout.ep == 1)
    s.reasons.push_back("--ep-overlap has no effect at ep 1: no expert all-to-alls to hide");
  if (!r.overlap && in.layout.dp * in.layout.cp > 1)
    s.reasons.push_back(in.zero_stage >= 1 ? "overlap of ZeRO's reduce-scatters and all-gathers assumed 0 (none); give --overlap 0..1"
                                           : "overlap of the gradient all-reduce assumed 0 (none); give --overlap 0..1");
  // The model divides the throughput by the efficiency: right for the kernels' own rate (`run`'s,
  // or an MFU of the GPU alone), twice counted for a figure measured end to end.
  if (!r.throughput_measured)
    s.reasons.push_back(fmt::format(
        "{} is taken as the GPU's rate before the bubble and communication, which this model takes off; a published "
        "end-to-end figure (Megatron-LM's 140 TFLOP/s for GPT-3 175B, Llama 3's 38-43% MFU) already includes them: "
        "give that one without --tp/--pp/--dp (ideal scaling), or divide it by this efficiency first",
        r.mfu || (r.throughput_source && r.throughput_source->find("--mfu") != std::string::npos) ? "--mfu"
                                                                                                   : "--tflops"));
  const double eff = s.efficiency;
  if (out.mfu) out.mfu_end_to_end = *out.mfu * eff;
  out.ideal_gpu_hours = out.gpu_hours;
  out.gpu_hours = *out.gpu_hours / eff;
  out.gpus = gpus;
  out.gpus_derived = !r.gpus && !r.dp && r.days.has_value();  // else given, or tp·pp·dp
  out.ideal_wall_days = ideal_gpu_seconds / static_cast<double>(gpus) / units::kSecondsPerDay;
  out.wall_days = *out.ideal_wall_days / eff;
  if (out.energy_mwh) out.energy_mwh = *out.energy_mwh / eff;
  if (out.energy_with_server_mwh) out.energy_with_server_mwh = *out.energy_with_server_mwh / eff;
  if (out.rental_cost) out.rental_cost = *out.rental_cost / eff;
  out.scaling = std::move(s);
}

}  // namespace tb::comm
