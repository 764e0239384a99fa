#include "cli/estimate_printer.hpp"

#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "harness/common/currency.hpp"
#include "harness/common/human_format.hpp"
#include "harness/common/units.hpp"
#include "harness/estimate/estimate_json.hpp"

namespace tb::cli {

static std::string percent(double fraction) { return human_percent(fraction); }

// Cloud GPU-hour quotes usually include power: the sum is the bill only for one that does not.
static constexpr const char* kQuoteWithoutPower =
    "the bill for a GPU-hour quote that excludes power; where the quote includes it, the rental alone is";

// Which FLOPs a sustained rate counts: PaLM's model count, with the recomputed forward where there is one.
static std::string rate_count(Recompute recompute) {
  return recompute == Recompute::None
             ? "model FLOPs, PaLM's count: attention unmasked"
             : fmt::format("PaLM's model-FLOP count plus the {} recomputation", to_string(recompute));
}


static std::string gib(double bytes) { return fmt::format("{:.1f} GiB", bytes / (1024.0 * 1024.0 * 1024.0)); }

static void print_stage(std::ostream& out, const StageMemory& st, const char* role, const MemoryEstimate& m) {
  fmt::print(out, "  stage {} ({}: {} layers, {} micro-batch{} in flight)\n", st.stage, role, st.layers,
             st.micro_batches_in_flight, st.micro_batches_in_flight == 1 ? "" : "es");
  fmt::print(out, "    weights {}{}{}, gradients {}, Adam {}, activations {} = {}", gib(st.weight_bytes),
             st.fp8_weight_bytes > 0 ? fmt::format(" (fp8 copies {})", gib(st.fp8_weight_bytes)) : "",
             st.gathered_weight_bytes > 0 ? fmt::format(" (kept gathered {})", gib(st.gathered_weight_bytes)) : "",
             gib(st.gradient_bytes), gib(st.optimizer_bytes), gib(st.activation_bytes), gib(st.total_bytes()));
  if (m.capacity_gib) {
    const MemoryFit fit = judge_fit(st.total_bytes(), *m.capacity_gib);
    fmt::print(out, " of {} ({}): {}",
               m.nominal_gib ? fmt::format("{:g} GiB usable of {:g}", *m.capacity_gib, *m.nominal_gib)
                             : fmt::format("{:g} GiB", *m.capacity_gib),
               percent(fit.used_fraction), to_string(fit.verdict));
  }
  fmt::print(out, "\n");
}

// Memory: the floor in GPUs to hold the model at all, then per GPU under the layout.
static void print_memory(std::ostream& out, const EstimateRequest& req, const EstimateResult& r) {
  if (!r.min_gpus_to_hold && !r.memory) return;
  fmt::print(out, "\nMemory\n");
  fmt::print(out, "  training state (bf16 weights, {} gradients, fp32 Adam: {:.0f} B per parameter): {}\n",
             req.grad_bytes == 4 ? "fp32" : "bf16", state_bytes_per_param(req.grad_bytes),
             human_bytes_si(r.model_state_bytes));
  if (r.min_gpus_to_hold) {
    fmt::print(out, "  at least {} x {} ({}) just to hold it, sharded over all (ZeRO-3), before activations\n",
               *r.min_gpus_to_hold, req.sku->display_name, req.sku->capacity_text());
    if (r.gpus && *r.gpus < *r.min_gpus_to_hold)
      fmt::print(out, "  WARNING: {} GPUs cannot hold the model: at least {} are needed whatever the deadline\n",
                 *r.gpus, *r.min_gpus_to_hold);
  }
  if (!r.memory) {
    fmt::print(out, "  give --tp/--pp/--dp for the memory per GPU of a layout\n");
    return;
  }
  const MemoryEstimate& m = *r.memory;
  const MemoryRequest& q = m.footprint.request;
  fmt::print(out, "  per GPU at tp {}{} x pp {} x dp {}{}, micro-batch {} x {} tokens{}, ZeRO {}{}, {}{} attention, recompute {}:\n",
             q.layout.tp, q.layout.cp > 1 ? fmt::format(" x cp {}", q.layout.cp) : "", q.layout.pp, q.layout.dp,
             q.layout.ep > 1 ? fmt::format(" (ep {})", q.layout.ep) : "",
             q.layout.micro_batch_size, q.layout.seq_len,
             q.layout.cp > 1 ? fmt::format(" ({} per GPU)", q.layout.seq_len / q.layout.cp) : "", q.zero_stage,
             q.zero3_keep_gathered ? " (weights kept gathered from forward to backward)" : "", q.sequence_parallel ? "sequence parallel, " : "", to_string(q.attention), to_string(q.recompute));
  if (q.fp8)
    fmt::print(out, "  fp8 training (Transformer Engine): e4m3 copies of the layers' weights and their transposes "
                    "(2 B per parameter, whole on each GPU), GEMM inputs saved for backward in fp8\n");
  if (q.zero_stage > 0 && q.layout.dp * q.layout.cp == 1)
    fmt::print(out, "  (ZeRO {} shards over the data-parallel ranks: at dp 1 it shards nothing; give --dp or --gpus)\n",
               q.zero_stage);
  print_stage(out, m.footprint.first, q.layout.pp == 1 ? "the only one" : "first, embeddings", m);
  if (q.layout.pp > 1) print_stage(out, m.footprint.last, "last, logits", m);
  fmt::print(out, "  not counted: CUDA context, library workspaces, NCCL buffers, fragmentation ({} above {:.0f}%)\n",
             to_string(MemoryVerdict::Tight), 100 * kTightFraction);
  if (m.fit && m.fit->verdict != MemoryVerdict::Fits)
    fmt::print(out, "  {}: {}\n", to_string(m.fit->verdict),
               m.suggestion          ? "fits with " + *m.suggestion
               : !m.other_ways.empty() ? fmt::format("no pipeline size or optimizer sharding fits it; it fits with {}",
                                                     fmt::join(m.other_ways, ", or "))
               : r.min_gpus_to_hold && q.layout.gpus() < *r.min_gpus_to_hold
                   ? fmt::format("no layout of {} GPUs holds it: at least {} just to hold the training state",
                                 q.layout.gpus(), *r.min_gpus_to_hold)
                   : std::string("no pipeline size, optimizer sharding, recomputation, context, tensor or expert split "
                                 "fits it on this GPU: a larger-memory SKU"));
  if (!m.capacity_gib) fmt::print(out, "  give --gpu SKU to judge it against the GPU's memory\n");
}

static void print_interruptions(std::ostream& out, const EstimateRequest& req, const EstimateResult& r) {
  const Goodput& g = *r.goodput;
  const InterruptionModel& m = *req.interruptions;
  fmt::print(out, "\nInterruptions (docs/interruptions.md); the figures above include them\n");
  fmt::print(out, "  one per {:.0f} GPU-hours ({}): on {} GPUs every {:.2f} h, ~{:.0f} over the run\n",
             m.gpu_mtbf_hours, m.mtbf_source, g.gpus, g.job_mtbf_s / 3600.0, g.expected_interruptions);
  fmt::print(out, "  checkpoint every {:.1f} min ({}), {:.0f} s to write ({}); restart {:.0f} s ({})\n",
             g.interval_s / 60.0, g.interval_optimal ? "Daly's optimum" : "--checkpoint-interval-s", m.checkpoint_s,
             m.checkpoint_assumed ? "ASSUMPTION; --checkpoint-s" : "--checkpoint-s", m.restart_s,
             m.restart_assumed ? "ASSUMPTION; --restart-s" : "--restart-s");
  fmt::print(out, "  goodput {}: checkpoints {}, lost work {}, restarts {} of the wall time\n", percent(g.fraction),
             percent(g.checkpoint_share), percent(g.rework_share), percent(g.restart_share));
  fmt::print(out, "  uninterrupted: {} GPU-hours, {:.1f} days\n", human_count(*r.uninterrupted_gpu_hours),
             *r.uninterrupted_wall_days);
}

// What procurement asks first, in one line: what to buy or rent, for how long, at what cost and
// energy; everything below is how it was worked out. Only with a GPU count and a throughput.
static void print_answer(std::ostream& out, const EstimateRequest& req, const EstimateResult& r) {
  if (!r.gpus || !r.wall_days || !r.gpu_hours) return;
  std::string line = fmt::format("{} {}s", *r.gpus, req.device);
  if (r.servers) line += fmt::format(" ({} servers of {})", *r.servers, r.gpus_per_server);
  line += fmt::format(" for {} days: {} {}-hours", human_value(*r.wall_days), human_count(*r.gpu_hours), req.device);
  if (r.energy_mwh) line += fmt::format(", {} MWh", human_value(*r.energy_mwh));
  if (r.rental_cost) line += fmt::format(", {} rental", human_money(*r.rental_cost, *r.rental_currency));
  if (r.server_cost && req.sku)
    line += fmt::format(", servers {}", human_money(*r.server_cost, req.sku->server_currency()));
  std::vector<std::string> includes;
  if (r.scaling) includes.push_back("communication");
  if (r.goodput) includes.push_back("interruptions");
  line += includes.empty() ? " (ideal scaling)" : fmt::format(" (with {})", fmt::join(includes, " and "));
  // An answer the GPUs cannot hold is no answer: said where it is read, not only further down.
  if (r.memory && r.memory->fit && r.memory->fit->verdict == MemoryVerdict::DoesNotFit)
    line += "; BUT the layout does not fit in memory (see Memory)";
  else if (r.min_gpus_to_hold && *r.gpus < *r.min_gpus_to_hold)
    line += fmt::format("; BUT {} GPUs cannot hold the model (at least {})", *r.gpus, *r.min_gpus_to_hold);
  // With --site, --days is the sites' deadline while --gpus fixes this fleet: say when it misses it.
  if (req.days && !r.gpus_derived.value_or(false) && *r.wall_days > *req.days)
    line += fmt::format("; they MISS the {}-day deadline by {} days{}", human_value(*req.days),
                        human_value(*r.wall_days - *req.days), req.site ? " (the data centers below meet it)" : "");
  fmt::print(out, "  in short: {}\n", line);
}

void print_estimate(std::ostream& out, const EstimateRequest& req, const EstimateResult& r) {
  const std::string moe =
      req.model.moe ? fmt::format(" ({} active per token: {} of {} experts{})", human_count(r.active_params),
                                  req.model.moe->experts_per_token, req.model.moe->experts,
                                  req.model.moe->shared_experts > 0
                                      ? fmt::format(" + {} shared", req.model.moe->shared_experts)
                                      : "")
                    : "";
  fmt::print(out, "{} ({}): {} parameters (computed){}, {} tokens{}, context {}\n", req.model.display_name,
             r.model, human_count(r.params), moe, r.tokens > 0 ? human_count(r.tokens) : "n/a",
             r.tokens_estimated.empty() ? "" : fmt::format(" (estimated: {})", r.tokens_estimated), r.seq_len);
  print_answer(out, req, r);
  if (!(r.tokens > 0)) {
    fmt::print(out, "\nTraining compute: n/a ({} publishes no training token count; give --tokens)\n", r.model);
    print_memory(out, req, r);
    return;
  }
  fmt::print(out, "\nTraining compute\n");
  // A config's published compute (GPT-3: Table D.1, 6·N·D with its own N) is set beside ours when
  // the tokens are the config's own; the article's 3640 is Table D.1's 3.64E+03, to three digits.
  const bool published = req.model.published_pf_days && req.model.train_tokens > 0 && r.tokens == req.model.train_tokens;
  fmt::print(out, "  {:<52} {} FLOP = {} PF-days{}\n", req.model.moe ? "6*N_active*D (GPT-3 Table D.1's rule, active N):" : "6*N*D (GPT-3 Table D.1, the article):",
             sci(r.training_flops), human_pf_days(r.pf_days),
             published ? fmt::format(" (published: {} PF-days = {:.2E} FLOP, {})", *req.model.published_pf_days,
                                     req.model.published_flops.value_or(*req.model.published_pf_days * units::kFlopPerPfDay),
                                     req.model.published_source.empty() ? "the config's [published]" : req.model.published_source)
                       : "");
  fmt::print(out, "  {:<52} {} FLOP ({} per token)\n", "model FLOPs (PaLM: 6*N_matmul + unmasked attention):",
             sci(r.training_model_flops), sci(r.model_flops_per_token));
  fmt::print(out, "  {:<52} {} FLOP ({} per token)\n",
             fmt::format("hardware FLOPs (recompute {}):", to_string(r.recompute)),
             sci(r.training_hardware_flops), sci(r.hardware_flops_per_token));

  if (r.sustained_tflops_per_gpu) {
    // The rate counts what MFU counts (PaLM's model FLOPs), not the FLOPs the kernels executed (`run`'s
    // "sustained", causal attention's half), plus the recomputed forward where there is one.
    fmt::print(out, "\nThroughput: {} TFLOP/s per {} sustained ({}; from {})\n", human_value(*r.sustained_tflops_per_gpu),
               req.device, rate_count(r.recompute), r.throughput_source.value_or("?"));
    // Days below include the scaling loss: the MFU they amount to is the end-to-end one.
    if (r.mfu && r.mfu_end_to_end)
      fmt::print(out, "  MFU {} of kernels, {} end to end after {} scaling\n", percent(*r.mfu),
                 percent(*r.mfu_end_to_end), percent(r.scaling->efficiency));
    else if (r.mfu)
      fmt::print(out, "  MFU {}\n", percent(*r.mfu));
    std::vector<std::string> divided;
    if (r.scaling) divided.push_back("scaling efficiency");
    if (r.goodput) divided.push_back("goodput");
    fmt::print(out, "  {}-hours (the hardware FLOPs above / throughput{}): {}\n", req.device,
               divided.empty() ? "" : fmt::format(" / {}", fmt::join(divided, " / ")), human_count(*r.gpu_hours));
    if (r.peak_gpu_hours)
      fmt::print(out, "  at peak (the article's method: 6*N*D at the {} peak {:g} TFLOP/s, ideal scaling): {} GPU-hours{}\n",
                 to_string(req.dtype), *r.peak_tflops, human_count(*r.peak_gpu_hours),
                 r.peak_wall_days ? fmt::format(", {} days on {} GPUs", human_value(*r.peak_wall_days), *r.gpus) : "");
    if (r.gpus)
      fmt::print(out, "  {} {}s{}{}: {} days wall-clock\n", *r.gpus, req.device,
                 r.servers ? fmt::format(" = {} servers of {}", *r.servers, r.gpus_per_server) : "",
                 r.gpus_raised_to_hold          ? " (the fewest that hold the model; the deadline alone needs fewer)"
                 : r.gpus_derived.value_or(false) ? " (needed for the deadline)"
                                                  : "",
                 human_value(*r.wall_days));
    if (r.server_cost)
      fmt::print(out, "  servers to buy: {} ({} x {}){}\n", human_money(*r.server_cost, req.sku->server_currency()),
                 r.servers.value_or(0), req.sku->server_source(),
                 r.server_currency_assumed ? fmt::format("\n    {}", usd_assumed_note("--server-price", {req.sku->name}))
                                           : "");
    if (r.energy_mwh)
      fmt::print(out, "  energy at {} x PUE {:.2f}{}: {} MWh\n",
                 r.power_measured ? fmt::format("measured {:.0f} W per GPU (NVML, over the step)", *r.power_w)
                                  : fmt::format("TDP {:.0f} W", *r.power_w),
                 *r.pue,
                 req.pue || !req.site ? ""
                                      : fmt::format(" (site {}'s{})", req.site->name,
                                                    req.site->is_assumed("pue") ? ", assumed" : ""),
                 human_value(*r.energy_mwh));
    if (r.energy_with_server_mwh)
      fmt::print(out, "  with the rest of each server at its rating (+{:.0f} W per GPU: CPUs, NICs, switches, fans; "
                      "{}): up to {} MWh\n",
                 *r.server_other_w, req.sku->server_power_source, human_value(*r.energy_with_server_mwh));
    if (r.rental_cost)
      fmt::print(out, "  rental: {} ({:.4g} {} per GPU-hour{})\n", human_money(*r.rental_cost, *r.rental_currency),
                 *r.rental_cost / *r.gpu_hours, *r.rental_currency,
                 req.gpu_hour_price ? ", quoted"
                 : req.sku          ? ", from " + (req.sku->price_source.empty() ? req.sku->origin : req.sku->price_source)
                                    : std::string());
    if (r.rental_currency_assumed)
      fmt::print(out, "    {}\n",
                 req.sku ? usd_assumed_note("--gpu-hour-price", {req.sku->name})
                         : "--gpu-hour-price read in USD: no SKU config states a currency; give --currency if it is in "
                           "another");
    // Energy's price, and what renting costs in all, where both are in one currency.
    if (r.electricity_cost) {
      fmt::print(out, "  electricity: {} ({:.4g} {} per kWh{})\n", human_money(*r.electricity_cost, r.electricity_currency),
                 *r.electricity_cost / (*r.energy_mwh * 1000), r.electricity_currency,
                 req.electricity_price_per_kwh                                 ? ""
                 : req.site && req.site->is_assumed("electricity_price_per_kwh") ? ", the site's, assumed"
                                                                                 : ", the site's");
      if (const auto total = r.rental_and_electricity())
        fmt::print(out, "  rental + electricity: {} ({})\n", human_money(*total, r.electricity_currency),
                   kQuoteWithoutPower);
      else if (r.rental_cost)  // as compare says it: two currencies are not added
        fmt::print(out, "  rental + electricity: not added (the rental is in {}, the electricity in {})\n",
                   *r.rental_currency, r.electricity_currency);
    }
    if (r.goodput) print_interruptions(out, req, r);
    if (r.scaling) {
      fmt::print(out, "\nScaling efficiency {} (communication model, docs/comm.md); the figures above include it\n",
                 percent(r.scaling->efficiency));
      for (const auto& why : r.scaling->reasons) fmt::print(out, "  {}\n", why);
      if (r.ideal_gpu_hours && r.ideal_wall_days)
        fmt::print(out, "  at ideal scaling: {} GPU-hours, {:.1f} days\n", human_count(*r.ideal_gpu_hours),
                   *r.ideal_wall_days);
    } else {
      fmt::print(out, "  scaling assumed ideal (linear in {}s, no communication); give --tp/--pp/--dp for the "
                      "communication model\n", req.device);
    }
  } else {
    // A GPU or a fleet given asks how long and how much: without a throughput nothing above says it.
    if (req.sku || req.gpus)
      fmt::print(out, "\nTime, GPU-hours and cost: give a throughput (--mfu with --gpu, --tflops, or --results FILE "
                      "from `trainbench run`)\n");
    if (r.memory)
      fmt::print(out, "\nCommunication model: give a throughput (--tflops, --gpu with --mfu, or --results) to weigh it\n");
  }
  print_memory(out, req, r);

  if (r.site) {
    const auto& site = *req.site;
    // Without --days the sites answer the article's question (one day), whatever --gpus takes: said, since
    // the lines above may have just shown those GPUs taking weeks.
    fmt::print(out, "\nData centers: {} ({} PFLOPS, {} each{}), to finish in {} day(s){}\n", site.display_name,
               site.peak_pflops, human_money(site.cost, site.currency), assumed_suffix(site, "cost"), *r.site_days,
               req.days ? "" : " (no --days: the article's one day; give --days for another deadline)");
    const auto& p = *r.at_peak;
    fmt::print(out, "  {:<28} {:>24}", "", "at peak (the article)");
    if (r.at_measured) fmt::print(out, " {:>24}", req.throughput_measured ? "at measured throughput" : "at the given throughput");
    // The article divides 6*N*D; a throughput runs the model's FLOPs (attention too): both stated,
    // so that the fractions below reproduce the site counts.
    fmt::print(out, "\n  {:<28} {:>24}", "FLOPs to run", fmt::format("{} (6*N*D)", sci(r.training_flops)));
    if (r.at_measured) fmt::print(out, " {:>24}", fmt::format("{} (model)", sci(r.training_model_flops)));
    // GPU-hours and days at both, where a SKU's peak gives the article's GPU-hours.
    if (r.peak_gpu_hours && r.gpu_hours) {
      fmt::print(out, "\n  {:<28} {:>24} {:>24}", "GPU-hours", human_count(*r.peak_gpu_hours), human_count(*r.gpu_hours));
      if (r.peak_wall_days && r.wall_days)
        fmt::print(out, "\n  {:<28} {:>24} {:>24}", fmt::format("days on {} GPUs", *r.gpus), human_value(*r.peak_wall_days),
                   human_value(*r.wall_days));
    }
    fmt::print(out, "\n  {:<28} {:>24}", "fraction of peak used", percent(p.efficiency));
    if (r.at_measured) fmt::print(out, " {:>24}", percent(r.at_measured->efficiency));
    fmt::print(out, "\n  {:<28} {:>24}", "data centers needed",
               fmt::format("{} (build {})", human_sites(p.sites_needed), p.sites_whole));
    if (r.at_measured)
      fmt::print(out, " {:>24}", fmt::format("{} (build {})", human_sites(r.at_measured->sites_needed),
                                              r.at_measured->sites_whole));
    fmt::print(out, "\n  {:<28} {:>24}", "investment", human_money(p.total_cost, r.currency));
    if (r.at_measured) fmt::print(out, " {:>24}", human_money(r.at_measured->total_cost, r.currency));
    // The article's figure is fractional (7.28 sites); what is built is whole sites.
    fmt::print(out, "\n  {:<28} {:>24}", "cost of the sites built",
               human_money(static_cast<double>(p.sites_whole) * site.cost, r.currency));
    if (r.at_measured)
      fmt::print(out, " {:>24}", human_money(static_cast<double>(r.at_measured->sites_whole) * site.cost, r.currency));
    fmt::print(out, "\n");
    if (!r.at_measured)
      fmt::print(out, "  (the measured column needs the GPU's peak: --gpu SKU with --mfu or --tflops)\n");
    // What the rating means in this SKU's GPUs, as `estimate --gpu A,B --site` lists it per SKU.
    if (r.gpus_per_site && !r.site_goodput)
      fmt::print(out, "  one site holds {} GPUs of {} (its rating / their bf16 peak)\n",
                 human_integer(static_cast<double>(*r.gpus_per_site)), site.sku ? *site.sku : req.sku->name);
    if (r.at_measured && r.site_dtype_per_rating != 1.0)
      fmt::print(out, "  MFU {} of the {} peak = {} of the site's bf16-class rating ({} peak / bf16 peak = {:.3g})\n",
                 percent(*r.mfu), to_string(req.dtype), percent(*r.mfu * r.site_dtype_per_rating), to_string(req.dtype),
                 r.site_dtype_per_rating);
    if (r.at_measured && r.at_measured->sites_whole_hold_gpus)
      fmt::print(out, "  build {}: whole sites for the {} GPUs used ({} per site{}); the work alone fills {}\n",
                 r.at_measured->sites_whole, human_integer(static_cast<double>(*r.at_measured->sites_whole_hold_gpus)),
                 *r.gpus_per_site, r.scaling ? ", the layout's count" : "", human_sites(r.at_measured->sites_needed));
    if (r.site_goodput)
      fmt::print(out, "  the measured column includes interruptions: {} GPUs ({} per site), one interruption every "
                      "{:.1f} h, goodput {} (docs/interruptions.md)\n",
                 r.site_goodput->gpus, *r.gpus_per_site, r.site_goodput->job_mtbf_s / 3600.0,
                 percent(r.site_goodput->fraction));
    if (r.site_interruptions_unreachable) fmt::print(out, "  {}\n", *r.site_interruptions_unreachable);

  }
}

void print_layout_search(std::ostream& out, const LayoutSearchResult& s, const std::string& capacity) {
  const std::string tensor_sizes = fmt::format("{}", fmt::join(s.tensor_sizes, ","));
  const std::string context_sizes = fmt::format("{}", fmt::join(s.context_sizes, ","));
  const std::string expert_sizes = fmt::format("{}", fmt::join(s.expert_sizes, ","));
  const bool moe = s.expert_size_measured || s.expert_sizes.size() > 1 ||
                   (s.expert_sizes.size() == 1 && s.expert_sizes.front() > 1);
  fmt::print(out, "Layout search: {}; global batch {} sequences; {}, cp in {{{}}}{}, pp up to the layers, {}\n",
             s.objective, s.global_batch,
             s.tensor_size_measured ? fmt::format("tp {} (where the throughput was measured)", tensor_sizes)
                                    : fmt::format("tp in {{{}}} (inside a server)", tensor_sizes),
             context_sizes,
             !moe                     ? std::string()
             : s.expert_size_measured ? fmt::format(", ep {} (where the throughput was measured)", expert_sizes)
                                      : fmt::format(", ep in {{{}}}", expert_sizes),
             s.zero3_keep_gathered ? "ZeRO 3 kept gathered (--zero 3 --zero3-keep-gathered)"
             : s.zero_stage_pinned ? fmt::format("ZeRO {} (--zero)", *s.zero_stage_pinned)
                                   : "ZeRO 1, 2 or 3 where dp x cp > 1 (the lowest that fits)");
  fmt::print(out, "  {} layouts considered, {} fit in {}{}\n", s.considered, s.feasible, capacity,
             s.objective.rfind("fewest", 0) == 0 ? " and finish in time (the fewest data-parallel ranks each)" : "");
  if (s.ranked.empty()) {
    if (s.soonest_fitting) {
      const LayoutChoice& c = *s.soonest_fitting;
      fmt::print(out, "  none finishes in time: the soonest any layout that fits can is {:.1f} days; within {:.0f}% of "
                      "that, {} GPUs take {:.1f} days at {} scaling (trainbench estimate ... {}{}; or --days {:.0f} "
                      "to search for it)\n",
                 *s.soonest_days, 100 * (kNearSoonest - 1), *c.result.gpus, *c.result.wall_days,
                 percent(c.result.scaling->efficiency), layout_flags(c.request),
                 s.held_hardware_tflops ? fmt::format(" --tflops {:.10g}", *s.held_hardware_tflops) : "",
                 std::ceil(*c.result.wall_days));
    }
    fmt::print(out, "\n");
    return;
  }
  fmt::print(out, "  {:>4} {:>6} {:>4} {:>3} {:>4} {:>2} {:>5} {:>3} {:>6} {:>3} {:>5} {:>10} {:>17} {:>10} {:>8}\n",
             "rank", "GPUs", "tp", "cp", "pp", "v", "dp", "ep", "m", "b", "ZeRO", "recompute", "memory per GPU", "scaling",
             "days");
  int rank = 1;
  for (const LayoutChoice& c : s.ranked) {
    const auto& q = c.request;
    const MemoryFit& fit = *c.result.memory->fit;
    fmt::print(out, "  {:>4} {:>6} {:>4} {:>3} {:>4} {:>2} {:>5} {:>3} {:>6} {:>3} {:>5} {:>10} {:>17} {:>10} {:>8.1f}\n",
               rank++, *c.result.gpus, *q.tp, q.cp.value_or(1), *q.pp, q.virtual_stages, *q.dp, q.ep.value_or(1),
               *q.micro_batches, q.micro_batch_size, q.zero_stage,
               to_string(q.recompute),
               fmt::format("{} ({})", gib(c.result.memory->footprint.peak().total_bytes()),
                           percent(fit.used_fraction)),
               percent(c.result.scaling->efficiency), *c.result.wall_days);
  }
  // Reproducible as printed: a hardware rate held across recomputation modes is given as such.
  fmt::print(out, "  best: trainbench estimate ... {}{}\n", layout_flags(s.ranked.front().request),
             s.held_hardware_tflops ? fmt::format(" --tflops {:.10g} (the hardware rate the search held; --mfu with "
                                                  "a pinned --recompute would mean a faster GPU)",
                                                  *s.held_hardware_tflops)
                                    : "");
  fmt::print(out, "  best's ZeRO stage: {}\n", s.ranked.front().zero_reason);
  if (!s.tensor_size_measured)
    fmt::print(out, "  (the throughput is taken for every tp: measure `trainbench run --tp T` and pass --results to "
                    "keep the search to the measured t)\n");
  fmt::print(out, "\n");
}

}  // namespace tb::cli
