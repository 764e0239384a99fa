#include "harness/estimate/estimate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "harness/comm/estimate_scaling.hpp"
#include "harness/common/currency.hpp"
#include "harness/common/errors.hpp"
#include "harness/common/units.hpp"
#include "harness/model/flop_formulas.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb {

void check_pue(std::optional<double> pue) {
  if (pue && (!std::isfinite(*pue) || *pue < 1.0 || *pue > 10.0))
    throw UsageError(fmt::format("--pue must be between 1.0 and 10.0 (got {})", *pue));
}

void check_electricity_price(std::optional<double> price, const std::string& currency) {
  if (price && (!(*price > 0) || *price > price_limit(kMaxElectricityPriceUsd, currency)))
    throw UsageError(fmt::format("--electricity-price must be a price in {} (got {:g})",
                                 price_range(kMaxElectricityPriceUsd, currency, "per kWh"), *price));
}

std::string quote_currency(const EstimateRequest& r) {
  return r.currency ? *r.currency : r.sku ? r.sku->currency : std::string("USD");
}

bool quote_currency_assumed(const EstimateRequest& r) { return !r.currency && !(r.sku && r.sku->price_table); }

std::string electricity_quote_currency(const EstimateRequest& r) {
  return r.electricity_currency ? *r.electricity_currency : quote_currency(r);
}

std::string sku_source(const EstimateRequest& r) {
  if (!r.sku) return "";
  return r.sku_from ? fmt::format("SKU {} (from {})", r.sku->name, *r.sku_from) : "--gpu " + r.sku->name;
}

namespace {

// Past these the input is a typo: 1e18 tokens is 10,000× any published run.
constexpr double kMaxTokens = 1e18;
constexpr double kMaxTflopsPerGpu = 1e6;
constexpr int64_t kMaxSeq = 1 << 22;  // the workload's bound too

void check_request(const EstimateRequest& r) {
  auto positive = [](double v) { return std::isfinite(v) && v > 0; };
  if (r.tokens != 0 && (!positive(r.tokens) || r.tokens > kMaxTokens))
    throw UsageError(fmt::format("--tokens must be a positive number up to {:.0e} (got {})", kMaxTokens, r.tokens));
  if (r.sustained_tflops_per_gpu &&
      (!positive(*r.sustained_tflops_per_gpu) || *r.sustained_tflops_per_gpu > kMaxTflopsPerGpu))
    throw UsageError(fmt::format("--tflops must be a positive TFLOP/s figure up to {:.0e} (got {})",
                                 kMaxTflopsPerGpu, *r.sustained_tflops_per_gpu));
  if (r.mfu) {
    if (!positive(*r.mfu) || *r.mfu > 1.0)
      throw UsageError(fmt::format("--mfu must be in (0, 1] (got {})", *r.mfu));
    if (!r.sku) throw UsageError("--mfu needs --gpu SKU (the peak it is a fraction of)");
  }
  if (r.mfu && r.sustained_tflops_per_gpu)
    throw UsageError("give one throughput: --tflops, or --gpu with --mfu (not both)");
  if (r.gpus && (*r.gpus <= 0 || *r.gpus > kMaxGpus))
    throw UsageError(fmt::format("--gpus must be between 1 and {} (got {})", kMaxGpus, *r.gpus));
  if (r.days && (!positive(*r.days) || *r.days > 365.0 * 100))
    throw UsageError(fmt::format("--days must be a positive number of days up to 36500 (got {})", *r.days));
  check_pue(r.pue);
  check_electricity_price(r.electricity_price_per_kwh, electricity_quote_currency(r));
  // 0 means "the model's context" only when --seq is not given; the CLI refuses an explicit 0.
  if (r.seq_len < 0 || r.seq_len > kMaxSeq)
    throw UsageError(fmt::format("--seq must be between 1 and {} tokens (got {})", kMaxSeq, r.seq_len));
}

SiteEstimate site_estimate(double flops, const SiteConfig& site, double days, double efficiency) {
  SiteEstimate s;
  s.efficiency = efficiency;
  const double site_flops_per_deadline = site.peak_pflops * units::kPeta * efficiency * days * units::kSecondsPerDay;
  s.sites_needed = flops / site_flops_per_deadline;
  // A hair of tolerance so 7.0000001 from rounding does not become 8.
  s.sites_whole = static_cast<int64_t>(std::ceil(s.sites_needed - 1e-9));
  s.total_cost = s.sites_needed * site.cost;
  s.cost_whole_sites = static_cast<double>(s.sites_whole) * site.cost;
  return s;
}

// The job's GPUs run in the sites: whole sites must hold them all, and a layout rounds the count up
// past the work's share (98,304 GPUs of GPT-3 in a day need 195 sites of 506 H100s where the work
// alone fills 193.5), or a hand-given --dp sets more than the deadline needs.
void hold_deadline_gpus(const SiteConfig& site, EstimateResult& out) {
  if (!out.at_measured || !out.gpus || !out.gpus_per_site) return;
  SiteEstimate& s = *out.at_measured;
  const int64_t holding = (*out.gpus + *out.gpus_per_site - 1) / *out.gpus_per_site;
  if (holding <= s.sites_whole) return;
  s.sites_whole = holding;
  s.cost_whole_sites = static_cast<double>(holding) * site.cost;
  s.sites_whole_hold_gpus = *out.gpus;
}

// The layout the memory model sees: the communication model's where it ran (it may have derived
// dp from the deadline), else the flags, dp from --gpus / (tp·cp·pp).
comm::ParallelLayout memory_layout(const EstimateRequest& r, const EstimateResult& out) {
  return out.scaling ? out.scaling->layout : comm::layout_from_request(r, out.seq_len);
}

MemoryEstimate memory_estimate(const EstimateRequest& r, const EstimateResult& out) {
  MemoryRequest m;
  m.model = r.model;
  m.layout = memory_layout(r, out);
  m.recompute = r.recompute;
  m.sequence_parallel = r.sequence_parallel;
  m.zero_stage = r.zero_stage;
  m.zero3_keep_gathered = r.zero3_keep_gathered;
  m.grad_bytes = r.grad_bytes;
  m.attention = r.attention;
  m.fp8 = r.fp8_training;
  MemoryEstimate e;
  e.footprint = memory_footprint(m);
  if (r.sku) {
    e.capacity_gib = r.sku->capacity_gib();
    if (r.sku->usable_gib) e.nominal_gib = r.sku->memory_gb;
    e.fit = judge_fit(e.footprint.peak().total_bytes(), *e.capacity_gib);
    if (e.fit->verdict != MemoryVerdict::Fits)
      e.suggestion = suggest_fitting_layout(e.footprint.request, *e.capacity_gib,
                                            {r.micro_batches.has_value(), r.dp ? std::nullopt : r.gpus});
    if (e.fit->verdict != MemoryVerdict::Fits && !e.suggestion)
      e.other_ways = other_ways_to_fit(e.footprint.request, *e.capacity_gib, r.sku->gpus_per_server,
                                       r.dp ? std::nullopt : r.gpus);
  }
  return e;
}

// Interruptions cost time, so with the GPU count set by a deadline more GPUs are needed, and
// more GPUs are interrupted more often: grow the count (in whole model-parallel groups) until
// the interrupted run meets the deadline.
EstimateResult estimate_deadline_with_interruptions(const EstimateRequest& r) {
  EstimateRequest q = r;
  q.interruptions.reset();
  const EstimateResult uninterrupted = estimate(q);
  if (!uninterrupted.gpus)
    throw UsageError("--mtbf-gpu-hours with --days needs a throughput (--tflops, --gpu with --mfu, or --results)");
  // Whole model-parallel groups (1 GPU without a layout), with dp a multiple that holds e expert ranks.
  const int64_t group = r.tp.value_or(1) * r.cp.value_or(1) * r.pp.value_or(1) *
                        comm::dp_multiple(r.ep.value_or(1), r.cp.value_or(1));
  int64_t gpus = *uninterrupted.gpus;
  for (int round = 0; round < 200; ++round) {
    q = r;
    q.gpus = gpus;
    EstimateResult result = estimate(q);
    if (*result.wall_days <= *r.days * (1 + 1e-9)) {
      result.gpus_derived = true;
      if (r.site) hold_deadline_gpus(*r.site, result);
      return result;
    }
    const auto needed = static_cast<int64_t>(std::ceil(static_cast<double>(gpus) * *result.wall_days / *r.days));
    gpus = std::max(gpus + group, (needed + group - 1) / group * group);
  }
  throw UsageError(fmt::format("no GPU count finishes {} in --days {} once interruptions are counted: more GPUs are "
                               "interrupted more often; a longer deadline or a larger --mtbf-gpu-hours",
                               r.model.name, *r.days));
}

void apply_interruptions(const EstimateRequest& r, EstimateResult& out) {
  if (!out.gpus || !out.wall_days || !out.gpu_hours)
    throw UsageError("--mtbf-gpu-hours needs the GPU count and a throughput: --gpus (or --days, or a layout) with "
                     "--tflops, --gpu and --mfu, or --results");
  const Goodput g = goodput(*r.interruptions, *out.gpus, *out.wall_days * units::kSecondsPerDay);
  out.uninterrupted_gpu_hours = out.gpu_hours;
  out.uninterrupted_wall_days = out.wall_days;
  out.gpu_hours = *out.gpu_hours / g.fraction;
  out.wall_days = g.wall_s / units::kSecondsPerDay;
  if (out.energy_mwh) out.energy_mwh = *out.energy_mwh / g.fraction;
  if (out.energy_with_server_mwh) out.energy_with_server_mwh = *out.energy_with_server_mwh / g.fraction;
  if (out.rental_cost) out.rental_cost = *out.rental_cost / g.fraction;
  out.goodput = g;
}

// The data centers at measured throughput lose what interruptions cost the GPUs they hold:
// more sites, more GPUs, more interruptions. Of n GPUs a fraction f(n) of the time is kept, and
// the sites must hold n0 / f(n) GPUs' worth of work (n0 without interruptions). n·f(n) rises and
// then falls as interruptions take over, so n ← ceil(n0 / f(n)) from n0 climbs to the smallest n
// that suffices, or finds none (the goodput model refuses a size that makes no progress).
// The work is counted in GPUs at the SKU's peak (site peak / bf16 peak, 505.6 H100s per 500P site,
// not the 506 a whole site holds): the same GPUs a --days answer counts, so that the answer line and
// the sites' line name one number.
void apply_site_interruptions(const EstimateRequest& r, double days, double efficiency, double gpus_per_site_exact,
                              EstimateResult& out) {
  if (!out.gpus_per_site) return;
  const double n0 = out.at_measured->sites_needed * gpus_per_site_exact;
  auto whole = [](double x) { return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(x - 1e-9))); };
  int64_t n = whole(n0);
  for (int round = 0; round < 10000; ++round) {
    Goodput g;
    try {
      g = goodput(*r.interruptions, n, days * units::kSecondsPerDay);
    } catch (const UsageError&) {
      break;  // interrupted faster than it restarts: no larger n helps either
    }
    const int64_t next = whole(n0 / g.fraction);
    if (next <= n) {
      out.at_measured = site_estimate(out.training_model_flops, *r.site, days, efficiency * g.fraction);
      out.site_goodput = g;
      return;
    }
    n = next;
  }
  out.site_interruptions_unreachable = fmt::format(
      "no number of {} sites finishes in {:g} day(s) once interruptions are counted: every GPU added brings more "
      "interruptions than work (give a longer --days, a larger --mtbf-gpu-hours, or leave it out); the measured "
      "column leaves them out",
      r.site->name, days);
}

}  // namespace

void refuse_gpus_beyond_bound(const EstimateResult& e, double days, const std::string& sku) {
  if (!e.gpus_needed_for_deadline || *e.gpus_needed_for_deadline <= static_cast<double>(kMaxGpus)) return;
  throw UsageError(fmt::format("--days {:g} needs {:.3g}{} GPUs, more than the {} --gpus allows: give a longer "
                               "deadline (or check --tokens)",
                               days, *e.gpus_needed_for_deadline, sku.empty() ? "" : " " + sku, kMaxGpus));
}

std::string why_unusable(const EstimateResult& e) {
  if (e.memory && e.memory->fit && e.memory->fit->verdict == MemoryVerdict::DoesNotFit)
    return fmt::format("does not fit ({:.0f}% of memory)", 100 * e.memory->fit->used_fraction);
  if (e.gpus && e.min_gpus_to_hold && *e.gpus < *e.min_gpus_to_hold)
    return fmt::format("{} GPUs cannot hold it (>= {})", *e.gpus, *e.min_gpus_to_hold);
  return "";
}

EstimateResult estimate(const EstimateRequest& r) {
  if (r.interruptions && r.days && !r.gpus && !r.dp) return estimate_deadline_with_interruptions(r);
  check_request(r);
  validate_model(r.model, r.model.name);
  EstimateResult out;
  out.model = r.model.name;
  const ParameterCount counted = count_parameters(r.model);
  out.params = counted.total;
  out.active_params = counted.active;
  out.tokens = r.tokens > 0 ? r.tokens : r.model.train_tokens;
  if (out.tokens > 0 && out.tokens == r.model.train_tokens) out.tokens_estimated = r.model.tokens_estimated;
  // A memory question (a SKU or a layout, nothing timed) needs no token count; everything timed or
  // sized does, and so does the bare question (training compute).
  const bool memory_only = (r.sku || r.layout_given()) && !r.sustained_tflops_per_gpu && !r.mfu && !r.site &&
                           !r.days && !r.interruptions;
  const bool needs_tokens = !memory_only;
  if (!(out.tokens > 0) && needs_tokens)
    throw UsageError(fmt::format("{}: its config publishes no training token count ([training] tokens): give --tokens",
                                 r.model.name));
  out.seq_len = r.seq_len > 0 ? r.seq_len : r.model.seq_len;
  out.training_flops = formulas::training_flops_6nd(out.active_params, out.tokens);
  out.pf_days = formulas::pf_days(out.training_flops);
  out.recompute = r.recompute;

  const auto per_token = formulas::flops_per_token(r.model, out.seq_len);
  out.model_flops_per_token = per_token.model;
  out.hardware_flops_per_token = r.recompute == Recompute::None        ? per_token.model
                                 : r.recompute == Recompute::Selective ? per_token.selective
                                                                       : per_token.full;
  out.training_model_flops = out.model_flops_per_token * out.tokens;
  out.training_hardware_flops = out.hardware_flops_per_token * out.tokens;
  const double hw_per_model = out.hardware_flops_per_token / out.model_flops_per_token;
  if (r.mfu && *r.mfu * hw_per_model > 1.0)
    throw UsageError(fmt::format("--mfu {} with --recompute {} means {:.0f}% of peak in hardware FLOPs (recomputation "
                                 "runs the forward again): at most {:.2f}",
                                 *r.mfu, to_string(r.recompute), 100.0 * *r.mfu * hw_per_model, 1.0 / hw_per_model));

  std::optional<double> peak_tflops;
  if (r.sku) peak_tflops = r.sku->peak_tflops_for(r.dtype);

  // One sustained hardware rate per GPU, from whichever throughput the user gave.
  if (r.sustained_tflops_per_gpu) {
    out.sustained_tflops_per_gpu = r.sustained_tflops_per_gpu;
    out.throughput_source = r.throughput_source.value_or(fmt::format("--tflops {}", *r.sustained_tflops_per_gpu));
    if (peak_tflops) out.mfu = *r.sustained_tflops_per_gpu / hw_per_model / *peak_tflops;
    else if (r.measured_mfu) out.mfu = *r.measured_mfu / hw_per_model;  // recomputation runs at the same rate
  } else if (r.mfu) {
    out.mfu = r.mfu;
    out.sustained_tflops_per_gpu = *r.mfu * *peak_tflops * hw_per_model;
    // A given MFU is the run's, recomputation included: the hardware then runs faster than MFU x
    // peak by the recomputed share (said, since --tflops would hold the hardware rate instead).
    // `run --dtype fp8` reports MFU against the bf16 peak: said beside, so that the two compare.
    const double bf16_peak = r.sku->peak_tflops_or_zero(DType::BF16);
    const std::string bf16_scale =
        r.dtype == DType::FP8 && bf16_peak > 0
            ? fmt::format("; MFU {:.4g} against the bf16 peak {} TFLOP/s, as run --dtype fp8 reports it",
                          *r.mfu * *peak_tflops / bf16_peak, bf16_peak)
            : "";
    out.throughput_source = r.throughput_source.value_or(fmt::format(
        "{} --mfu {} ({} peak {} TFLOP/s{}{})", sku_source(r), *r.mfu, to_string(r.dtype), *peak_tflops, bf16_scale,
        r.recompute == Recompute::None
            ? ""
            : fmt::format("; MFU held with {} recomputation: the hardware at {:.0f}% of peak", to_string(r.recompute),
                          100 * *r.mfu * hw_per_model)));
  }

  if (out.sustained_tflops_per_gpu) {
    const double rate = *out.sustained_tflops_per_gpu * units::kTera;  // FLOP/s per GPU
    const double gpu_seconds = out.training_hardware_flops / rate;
    out.gpu_hours = gpu_seconds / units::kSecondsPerHour;
    if (r.gpus) {
      out.gpus = r.gpus;
      out.gpus_derived = false;
    } else if (r.days) {
      const double needed = std::ceil(gpu_seconds / (*r.days * units::kSecondsPerDay) - 1e-9);
      // Beyond the --gpus bound the count means nothing (and overflows nothing): kept as a double
      // for the one caller that answers with it (estimate --days refuses it, naming the flag).
      out.gpus_needed_for_deadline = needed;
      out.gpus = static_cast<int64_t>(std::min(needed, static_cast<double>(kMaxGpus)));
      out.gpus_derived = true;
      // A far deadline needs few GPUs, but never fewer than hold the model: those finish sooner
      // (under ideal scaling the GPU-hours are the same). A layout fixes its own count.
      if (r.sku && !r.layout_given()) {
        const int64_t hold =
            min_gpus_to_hold(count_parameters(r.model).total * state_bytes_per_param(r.grad_bytes), r.sku->capacity_gib());
        if (*out.gpus < hold) {
          out.gpus = hold;
          out.gpus_raised_to_hold = true;
        }
      }
    }
    if (out.gpus) out.wall_days = gpu_seconds / static_cast<double>(*out.gpus) / units::kSecondsPerDay;
    const std::optional<double> price =
        r.gpu_hour_price ? r.gpu_hour_price : (r.sku ? r.sku->price_per_gpu_hour : std::nullopt);
    if (price) {
      out.rental_cost = *out.gpu_hours * *price;
      // --currency names a quote's currency; a SKU config's price keeps its own.
      out.rental_currency = r.gpu_hour_price ? quote_currency(r) : r.sku->currency;
      out.rental_currency_assumed = r.gpu_hour_price && quote_currency_assumed(r);
    }
    if (r.sku || r.measured_power_w) {
      out.pue = r.pue ? *r.pue : (r.site ? r.site->pue : 1.0);
      out.power_measured = r.measured_power_w.has_value();
      out.power_w = r.measured_power_w ? *r.measured_power_w : r.sku->tdp_w;
      out.energy_mwh = *out.gpu_hours * *out.power_w * *out.pue / 1e6;
      if (r.sku && r.sku->server_power_w) {
        out.server_other_w = *r.sku->server_power_w / r.sku->gpus_per_server - r.sku->tdp_w;
        out.energy_with_server_mwh = *out.gpu_hours * (*out.power_w + *out.server_other_w) * *out.pue / 1e6;
      }
    }
  }

  // Communication model: only with --tp/--pp/--dp and a throughput; scales GPU-hours, days,
  // energy and cost. Memory per GPU needs the layout only.
  const bool layout = r.layout_given();
  if (layout && out.sustained_tflops_per_gpu) comm::apply_comm_model(r, out);
  if (r.interruptions) apply_interruptions(r, out);
  // Whole servers, once the GPU count is final (the communication model may have set it).
  if (out.gpus && r.sku && r.sku->gpus_per_server > 0) {
    out.gpus_per_server = r.sku->gpus_per_server;
    out.servers = (*out.gpus + out.gpus_per_server - 1) / out.gpus_per_server;
    if (r.sku->server_price) {
      out.server_cost = static_cast<double>(*out.servers) * *r.sku->server_price;
      out.server_currency = r.sku->server_currency();
      // A --server-price quote keeps --currency; without it, the config's, which may state none.
      out.server_currency_assumed = r.sku->server_price_source == "--server-price" && !r.sku->server_price_currency &&
                                    !r.sku->price_table;
    }
  }
  out.model_state_bytes =
      count_parameters(r.model).total * state_bytes_per_param(r.grad_bytes);
  if (r.sku) out.min_gpus_to_hold = min_gpus_to_hold(out.model_state_bytes, r.sku->capacity_gib());
  if (layout) out.memory = memory_estimate(r, out);
  // At peak, beside the measured answer (the article's method, MISSION's "both at peak and at measured").
  if (peak_tflops && *peak_tflops > 0 && out.tokens > 0) {
    out.peak_tflops = peak_tflops;
    out.peak_gpu_hours = out.training_flops / (*peak_tflops * units::kTera) / units::kSecondsPerHour;
    if (out.gpus) out.peak_wall_days = *out.peak_gpu_hours / static_cast<double>(*out.gpus) / 24.0;
  }

  if (out.energy_mwh && r.electricity_price_per_kwh) {
    out.electricity_cost = *out.energy_mwh * 1000.0 * *r.electricity_price_per_kwh;
    out.electricity_currency = electricity_quote_currency(r);
  }
  if (r.site) {
    const double days = r.days.value_or(1.0);
    out.site = r.site->name;
    out.site_days = days;
    out.currency = r.site->currency;
    // The article's arithmetic: 6·N·D at 100% of the site's rated peak.
    out.at_peak = site_estimate(out.training_flops, *r.site, days, 1.0);
    if (out.energy_mwh && !r.electricity_price_per_kwh && r.site->electricity_price_per_kwh) {
      out.electricity_cost = *out.energy_mwh * 1000.0 * *r.site->electricity_price_per_kwh;
      out.electricity_currency = r.site->currency;
    }
    // The site's rating is a dense bf16-class peak (configs/sites): its GPUs are counted at the bf16
    // peak of the SKU it is built from, else of the SKU given.
    double dtype_per_rating = 1.0;
    double gpus_per_site_exact = 0;
    if (r.sku || r.site->sku) {
      const SkuConfig gpu = r.site->sku ? load_sku(*r.site->sku) : *r.sku;
      const double bf16_peak = gpu.peak_tflops_or_zero(DType::BF16);
      if (bf16_peak > 0) {
        gpus_per_site_exact = r.site->peak_pflops * 1000.0 / bf16_peak;
        out.gpus_per_site = static_cast<int64_t>(std::ceil(gpus_per_site_exact - 1e-9));
        // MFU is a fraction of the --dtype peak: those GPUs run fp8 at twice, tf32 at half their bf16 rate.
        if (const double dtype_peak = gpu.peak_tflops_or_zero(r.dtype); dtype_peak > 0)
          dtype_per_rating = dtype_peak / bf16_peak;
      }
    }
    out.site_dtype_per_rating = dtype_per_rating;
    // Measured: the model FLOPs (attention included) at the fraction of the rating this GPU sustains,
    // less what communication and the pipeline bubble cost.
    if (out.mfu)
      out.at_measured = site_estimate(out.training_model_flops, *r.site, days,
                                      *out.mfu * dtype_per_rating * (out.scaling ? out.scaling->efficiency : 1.0));
    if (out.at_measured && r.interruptions && out.gpus_per_site)
      apply_site_interruptions(r, days, *out.mfu * dtype_per_rating * (out.scaling ? out.scaling->efficiency : 1.0),
                               gpus_per_site_exact, out);
    // The GPUs the job runs on sit in the sites, whoever sized them: --days, the search, or a hand
    // layout's tp x cp x pp x dp (the same 98,304 GPUs build 195 sites by hand as by --layout auto).
    // Only --gpus names a fleet apart, its own question beside the sites'.
    if (out.gpus_derived.value_or(false) || r.gpus_meet_days || (r.dp && !r.gpus)) hold_deadline_gpus(*r.site, out);
  }
  return out;
}

}  // namespace tb
