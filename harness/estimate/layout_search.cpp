#include "harness/estimate/layout_search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "harness/comm/comm_model.hpp"
#include "harness/common/errors.hpp"
#include "harness/estimate/zero_stage_choice.hpp"

namespace tb {

namespace {

std::vector<int64_t> divisors(int64_t n, int64_t at_most) {
  std::vector<int64_t> out;
  for (int64_t d = 1; d <= std::min(n, at_most); ++d)
    if (n % d == 0) out.push_back(d);
  return out;
}

// t that divide the heads (Megatron-LM splits heads across the group) and tile a server (a group
// of 6 on 8-GPU servers would straddle two, which the model costs at NVLink speed).
std::vector<int64_t> tensor_sizes_in_server(const ModelConfig& model, int gpus_per_server) {
  std::vector<int64_t> out;
  const int64_t server = std::max(1, gpus_per_server);
  for (int64_t t : divisors(model.heads, server))
    if (server % t == 0) out.push_back(t);
  return out;
}

// Context-parallel sizes worth trying: powers of two that split the sequence into 2c equal
// chunks (Megatron-Core's causal load balancing) of at least kMinContextTokens tokens per GPU,
// as published context-parallel runs keep (Llama 3: 131,072 over 16 = 8,192). Below that the
// model would flatter them: it holds the throughput measured on b·s-token GEMMs and whole-
// sequence attention while a GPU's GEMMs shrink to b·s/c rows and its attention to short query
// chunks. `--cp` tries any size.
constexpr int64_t kMinContextTokens = 8192;
constexpr int64_t kMaxContextParallel = 64;

std::vector<int64_t> context_sizes(int64_t seq) {
  std::vector<int64_t> out{1};
  for (int64_t c = 2; c <= kMaxContextParallel && seq % (2 * c) == 0 && seq / c >= kMinContextTokens; c *= 2)
    out.push_back(c);
  return out;
}

}  // namespace

std::vector<int64_t> expert_sizes(const ModelConfig& model) {
  std::vector<int64_t> out{1};
  if (!model.moe) return out;
  for (int64_t e = 2; model.moe->experts % e == 0; e *= 2) out.push_back(e);
  return out;
}

namespace {

// Past this a batch is a typo (the largest published batches are a few thousand sequences); it
// also keeps micro-batch counts inside what a layout accepts.
constexpr int64_t kMaxGlobalBatch = 1'000'000;

void check_request(const LayoutSearchRequest& r, int64_t global_batch) {
  const EstimateRequest& b = r.base;
  if (!b.sku) throw UsageError("--layout auto needs --gpu SKU: its memory and server size bound the layouts");
  if (!b.sustained_tflops_per_gpu && !b.mfu)
    throw UsageError("--layout auto needs a throughput (--tflops, --gpu with --mfu, or --results) to time layouts");
  if (!b.gpus && !b.days)
    throw UsageError("--layout auto needs --gpus N (the fastest layout on N GPUs) or --days D (the fewest servers "
                     "that finish in D days)");
  if (b.gpus && b.days) throw UsageError("--layout auto takes --gpus or --days, not both");
  if (b.gpus && (*b.gpus < 1 || *b.gpus > kMaxGpus))
    throw UsageError(fmt::format("--gpus must be between 1 and {} (got {})", kMaxGpus, *b.gpus));
  if (b.days && !(*b.days > 0 && *b.days <= 36500))
    throw UsageError(fmt::format("--days must be a positive number of days up to 36500 (got {})", *b.days));
  if (global_batch > kMaxGlobalBatch)
    throw UsageError(fmt::format("--global-batch {} is more than {} sequences", global_batch, kMaxGlobalBatch));
  if (global_batch <= 0)
    throw UsageError(fmt::format("--layout auto needs the global batch: {}'s config has no [training] "
                                 "batch_sequences; give --global-batch SEQUENCES",
                                 b.model.name));
  if (r.zero_stage || b.zero3_keep_gathered) {
    if (!r.zero_stage)
      throw UsageError("--zero3-keep-gathered keeps ZeRO-3's gathered weights from the forward to the backward: give "
                       "it with --zero 3 (the search tries ZeRO-1, 2 and 3 unpinned, never this variant unasked)");
    comm::check_zero_stage(*r.zero_stage, b.zero3_keep_gathered);
  }
  if (r.micro_batch_sizes.empty()) throw UsageError("--micro-batch-size: give at least one size");
  for (int64_t mb : r.micro_batch_sizes)
    if (mb < 1 || global_batch % mb != 0)
      throw UsageError(fmt::format("--micro-batch-size {} must be positive and divide the global batch of {} "
                                   "sequences",
                                   mb, global_batch));
}

// One point of the space but its data-parallel size.
struct Shape {
  Recompute recompute;
  int64_t tp, cp, pp, b, v, ep;
  int64_t model_parallel() const { return tp * cp * pp; }
  bool expert_split(int64_t dp) const { return (cp * dp) % ep == 0; }
};

// Megatron-LM's interleaved schedule needs the micro-batches in groups of p, a chunk per stage
// and virtual stage, and the (busiest) stage's layers in v equal chunks.
bool schedulable(const Shape& s, int64_t micro_batches, int64_t layers) {
  const int64_t stage_layers = (layers + s.pp - 1) / s.pp;
  return s.v == 1 || (s.pp > 1 && s.pp * s.v <= layers && stage_layers % s.v == 0 && micro_batches % s.pp == 0);
}

LayoutChoice evaluate(const LayoutSearchRequest& r, const Shape& shape, int64_t dp, int64_t global_batch, int zero) {
  const int64_t tp = shape.tp, pp = shape.pp, b = shape.b;
  LayoutChoice c;
  c.request = r.base;
  c.request.recompute = shape.recompute;
  c.request.virtual_stages = shape.v;
  c.request.gpus.reset();
  c.request.days.reset();
  c.request.site.reset();
  c.request.tp = tp;
  c.request.cp = shape.cp;
  c.request.ep = shape.ep;
  c.request.pp = pp;
  c.request.dp = dp;
  c.request.micro_batch_size = b;
  c.request.micro_batches = global_batch / (b * dp);
  c.request.zero_stage = zero;
  c.result = estimate(c.request);
  return c;
}

bool fits(const LayoutChoice& c) {
  return c.result.memory && c.result.memory->fit && c.result.memory->fit->verdict == MemoryVerdict::Fits;
}

double peak_bytes(const LayoutChoice& c) { return c.result.memory->footprint.peak().total_bytes(); }

// The layout at the lowest ZeRO stage that fits it, the fastest (zero_stage_choice.hpp), with why;
// at the highest stage tried where none fits. ZeRO shards over every replica of the weights: the
// data and the context ranks.
LayoutChoice evaluate_lowest_fitting_zero(const LayoutSearchRequest& r, const Shape& shape, int64_t dp,
                                          int64_t global_batch) {
  const int64_t replicas = dp * shape.cp;
  std::vector<ZeroStageTry> tried;
  LayoutChoice c;
  for (int zero : zero_stages_to_try(r.zero_stage, replicas)) {
    c = evaluate(r, shape, dp, global_batch, zero);
    tried.push_back({zero, peak_bytes(c), fits(c)});
    if (tried.back().fits) break;
  }
  c.zero_reason = zero_stage_reason(tried, r.zero_stage, r.base.zero3_keep_gathered, replicas,
                                    r.base.sku->capacity_gib(), r.base.sku->capacity_text());
  return c;
}

// Days to a microsecond's precision: layouts the model times alike tie and the tie-breaks decide,
// not the last bit of a float (a quantised key keeps the ordering strict and transitive).
int64_t days_key(double days) { return std::llround(days * 86400.0 * 1e6); }

}  // namespace

LayoutSearchResult search_layouts(const LayoutSearchRequest& request) {
  const int64_t global_batch =
      request.global_batch > 0 ? request.global_batch : request.base.model.batch_sequences.value_or(0);
  check_request(request, global_batch);
  LayoutSearchRequest r = request;
  if (r.recompute_modes.size() > 1 && r.base.mfu) {
    // MFU counts model FLOPs only: at one MFU, recomputation would cost no time. What a GPU
    // sustains is a hardware rate, so hold that across the modes: MFU x peak, the rate without
    // recomputation; full recomputation then takes its third longer.
    const double peak = r.base.sku->peak_tflops_for(r.base.dtype);
    r.base.sustained_tflops_per_gpu = *r.base.mfu * peak;
    r.base.throughput_source = fmt::format("{} --mfu {}: {:.1f} TFLOP/s hardware, held across recomputation modes",
                                           sku_source(r.base), *r.base.mfu, *r.base.sustained_tflops_per_gpu);
    r.base.mfu.reset();
  }
  const ModelConfig& model = r.base.model;
  LayoutSearchResult out;
  if (request.recompute_modes.size() > 1 && request.base.mfu) out.held_hardware_tflops = r.base.sustained_tflops_per_gpu;
  out.global_batch = global_batch;
  out.zero_stage_pinned = r.zero_stage;
  out.zero3_keep_gathered = r.base.zero3_keep_gathered;
  if (r.measured_tp) {
    if (*r.measured_tp < 1 || model.heads % *r.measured_tp != 0)
      throw UsageError(fmt::format("the throughput was measured at tp {}, which does not divide {}'s {} heads",
                                   *r.measured_tp, model.name, model.heads));
    out.tensor_sizes = {*r.measured_tp};
    out.tensor_size_measured = true;
  } else {
    out.tensor_sizes = tensor_sizes_in_server(model, r.base.sku->gpus_per_server);
  }
  // Every stage count up to the layers: uneven stages cost their imbalance in the model.
  std::vector<int64_t> pipeline_sizes(static_cast<size_t>(model.layers));
  for (int64_t p = 1; p <= model.layers; ++p) pipeline_sizes[static_cast<size_t>(p - 1)] = p;

  const std::vector<Recompute> modes = r.recompute_modes.empty() ? std::vector<Recompute>{r.base.recompute}
                                                                 : r.recompute_modes;
  std::vector<LayoutChoice> fitting;
  // Deadline mode: fitting layouts that miss it, as what re-evaluates them (not their results).
  struct Late {
    Shape shape;
    int64_t dp, gpus;
    double days;
  };
  std::vector<Late> late;
  // One (recompute, t, c, p, b): on n GPUs dp is n / (t·c·p); for a deadline, the fewest data-parallel
  // ranks that fit and finish in time (more only cost GPUs).
  auto consider = [&](const Shape& s) {
    const int64_t pipelines_max = global_batch / s.b;  // dp must divide B / b
    if (r.base.gpus) {
      const int64_t n = *r.base.gpus;
      if (n % s.model_parallel() != 0 || pipelines_max % (n / s.model_parallel()) != 0) return;
      const int64_t dp = n / s.model_parallel();
      if (!s.expert_split(dp) || !schedulable(s, pipelines_max / dp, model.layers)) return;
      ++out.considered;
      LayoutChoice c = evaluate_lowest_fitting_zero(r, s, dp, global_batch);
      if (fits(c)) fitting.push_back(std::move(c));
      return;
    }
    for (int64_t dp : divisors(pipelines_max, pipelines_max)) {
      if (!s.expert_split(dp) || !schedulable(s, pipelines_max / dp, model.layers)) continue;
      ++out.considered;
      LayoutChoice c = evaluate_lowest_fitting_zero(r, s, dp, global_batch);
      if (!fits(c)) continue;
      if (*c.result.wall_days <= *r.base.days) {
        fitting.push_back(std::move(c));
        return;
      }
      late.push_back({s, dp, *c.result.gpus, *c.result.wall_days});
    }
  };
  const int64_t seq = r.base.seq_len > 0 ? r.base.seq_len : model.seq_len;
  out.context_sizes = r.context_sizes.empty() ? context_sizes(seq) : r.context_sizes;
  for (int64_t cp : r.context_sizes) comm::check_context_split(cp, seq);
  out.expert_sizes = r.expert_sizes.empty() ? expert_sizes(model) : r.expert_sizes;
  if (r.expert_sizes.empty() && model.moe && r.measured_ep) {
    out.expert_sizes = {*r.measured_ep};
    out.expert_size_measured = true;
  }
  for (int64_t ep : out.expert_sizes) comm::check_expert_parallel(ep, model);
  for (Recompute recompute : modes)
    for (int64_t tp : out.tensor_sizes)
      for (int64_t cp : out.context_sizes)
        for (int64_t ep : out.expert_sizes)
          for (int64_t pp : pipeline_sizes)
            for (int64_t b : r.micro_batch_sizes)
              for (int64_t v : r.virtual_stages) consider({recompute, tp, cp, pp, b, v, ep});
  if (r.base.gpus && out.considered == 0)
    throw UsageError(fmt::format("no layout of {} GPUs divides the global batch of {} sequences (tp x cp x pp x dp = "
                                 "GPUs, dp x micro-batch size dividing the batch, ep dividing cp x dp): change --gpus "
                                 "or --global-batch",
                                 *r.base.gpus, global_batch));
  out.feasible = static_cast<int64_t>(fitting.size());
  // Stable: on a tie the order tried wins, so the least recomputation (none first) is kept.
  if (r.base.gpus) {
    out.objective = fmt::format("shortest time on {} GPUs", *r.base.gpus);
    std::stable_sort(fitting.begin(), fitting.end(), [](const LayoutChoice& a, const LayoutChoice& b) {
      if (days_key(*a.result.wall_days) != days_key(*b.result.wall_days))
        return days_key(*a.result.wall_days) < days_key(*b.result.wall_days);
      return peak_bytes(a) < peak_bytes(b);
    });
  } else {
    // GPUs come in whole servers: 356 GPUs cost 45 servers, as 360 do, and the 360 may finish
    // sooner. So the fewest servers first, then the soonest, then the least memory.
    const int64_t per_server = std::max(1, r.base.sku->gpus_per_server);
    auto servers = [per_server](const LayoutChoice& c) { return (*c.result.gpus + per_server - 1) / per_server; };
    out.objective = fmt::format("fewest servers of {} GPUs to finish in {:g} days", per_server, *r.base.days);
    std::stable_sort(fitting.begin(), fitting.end(), [&servers](const LayoutChoice& a, const LayoutChoice& b) {
      if (servers(a) != servers(b)) return servers(a) < servers(b);
      if (days_key(*a.result.wall_days) != days_key(*b.result.wall_days))
        return days_key(*a.result.wall_days) < days_key(*b.result.wall_days);
      return peak_bytes(a) < peak_bytes(b);
    });
  }
  if (fitting.size() > r.keep) fitting.resize(r.keep);
  out.ranked = std::move(fitting);
  if (out.ranked.empty() && !late.empty()) {
    double soonest = late.front().days;
    for (const auto& c : late) soonest = std::min(soonest, c.days);
    out.soonest_days = soonest;
    const Late* near = nullptr;
    for (const auto& c : late)
      if (c.days <= kNearSoonest * soonest &&
          (!near || c.gpus < near->gpus || (c.gpus == near->gpus && c.days < near->days)))
        near = &c;
    out.soonest_fitting = evaluate_lowest_fitting_zero(r, near->shape, near->dp, global_batch);
  }
  return out;
}

DefaultTensorParallel default_tensor_parallel(const ModelConfig& model, double capacity_gib, int gpus_per_server,
                                              int64_t micro_batch, int64_t seq_len) {
  DefaultTensorParallel d;
  if (capacity_gib > 0) {
    MemoryRequest one;
    one.model = model;
    one.layout.micro_batch_size = micro_batch;
    one.layout.seq_len = seq_len;
    const double bytes = memory_footprint(one).peak().total_bytes();
    if (judge_fit(bytes, capacity_gib).verdict == MemoryVerdict::Fits) {
      d.tp = 1;
      d.why = fmt::format("auto: trains on one device, {:.1f} of {:.0f} GiB", bytes / gib_to_bytes(1), capacity_gib);
      return d;
    }
    d.why = fmt::format("auto: {:.0f} GiB to train on one device, more than its {:.0f} GiB; ", bytes / gib_to_bytes(1),
                        capacity_gib);
  } else {
    d.why = "auto: device memory unknown; ";
  }
  d.tp = tensor_sizes_in_server(model, gpus_per_server).back();
  d.why += fmt::format("the largest tensor-parallel group within a server of {} GPUs that divides {} heads",
                       gpus_per_server, model.heads);
  return d;
}

}  // namespace tb
