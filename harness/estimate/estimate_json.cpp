#include "harness/estimate/estimate_json.hpp"

#include <fmt/format.h>

namespace tb {

static nlohmann::json site_json(const SiteEstimate& s) {
  return {{"efficiency", s.efficiency},
          {"sites_needed", s.sites_needed},
          {"sites_whole", s.sites_whole},
          {"sites_cost", s.total_cost},
          {"cost_whole_sites", s.cost_whole_sites}};
}

// The layout as `memory` and `scaling` both give it.
static nlohmann::json layout_json(const comm::ParallelLayout& l) {
  return {{"tp", l.tp},
          {"cp", l.cp},
          {"pp", l.pp},
          {"dp", l.dp},
          {"ep", l.ep},
          {"micro_batches", l.micro_batches},
          {"micro_batch_size", l.micro_batch_size},
          {"virtual_stages", l.virtual_stages}};
}

static nlohmann::json stage_json(const StageMemory& st) {
  return {{"stage", st.stage},
          {"layers", st.layers},
          {"micro_batches_in_flight", st.micro_batches_in_flight},
          {"params", st.params},
          {"expert_params", st.expert_params},
          {"weight_bytes", st.weight_bytes},
          {"fp8_weight_bytes", st.fp8_weight_bytes},
          {"gathered_weight_bytes", st.gathered_weight_bytes},
          {"gradient_bytes", st.gradient_bytes},
          {"optimizer_bytes", st.optimizer_bytes},
          {"activation_bytes", st.activation_bytes},
          {"total_bytes", st.total_bytes()}};
}

nlohmann::json memory_json(const MemoryEstimate& m) {
  const MemoryRequest& q = m.footprint.request;
  nlohmann::json j = layout_json(q.layout);
  j.update({{"zero_stage", q.zero_stage},
            {"zero3_keep_gathered", q.zero3_keep_gathered},
            {"grad_bytes_per_param", q.grad_bytes},
            {"sequence_parallel", q.sequence_parallel},
            {"attention", to_string(q.attention)},
            {"recompute", to_string(q.recompute)},
            {"fp8", q.fp8},
            {"layer_activation_bytes", m.footprint.layer_activation_bytes},
            {"first_stage", stage_json(m.footprint.first)},
            {"last_stage", stage_json(m.footprint.last)},
            {"peak_bytes", m.footprint.peak().total_bytes()},
            {"not_counted", "CUDA context, library workspaces, NCCL buffers, allocator fragmentation"}});
  if (m.capacity_gib) j["capacity_gib"] = *m.capacity_gib;
  if (m.nominal_gib) j["nominal_gib"] = *m.nominal_gib;
  if (m.fit) {
    j["used_fraction"] = m.fit->used_fraction;
    j["verdict"] = to_string(m.fit->verdict);
  }
  if (m.suggestion) j["suggestion"] = *m.suggestion;
  if (!m.other_ways.empty()) j["other_ways"] = m.other_ways;
  return j;
}

nlohmann::json scaling_json(const comm::ScalingEstimate& c) {
  nlohmann::json j = layout_json(c.layout);
  j.update({{"efficiency", c.efficiency},
            {"tokens_per_step", c.tokens_per_step},
            {"global_batch_sequences", c.layout.micro_batches * c.layout.micro_batch_size * c.layout.dp},
            {"step_s", c.step_s},
            {"ideal_step_s", c.ideal_step_s},
            {"compute_s_per_micro_batch", c.compute_s_per_micro_batch},
            {"tp_s_per_micro_batch", c.tp_s_per_micro_batch},
            {"cp_s_per_micro_batch", c.cp_s_per_micro_batch},
            {"cp_bytes_per_collective", c.cp_bytes_per_collective},
            {"cp_collectives_per_layer", c.cp_collectives_per_layer},
            {"ep_s_per_micro_batch", c.ep_s_per_micro_batch},
            {"ep_bytes_per_alltoall", c.ep_bytes_per_alltoall},
            {"alltoalls_per_moe_layer", c.alltoalls_per_moe_layer},
            {"dp_grad_bytes", c.dp_grad_bytes},
            {"dp_param_bytes", c.dp_param_bytes},
            {"zero_stage", c.zero_stage},
            {"zero3_keep_gathered", c.zero3_keep_gathered},
            {"dp_reduce_scatters", c.dp_reduce_scatters},
            {"dp_all_gathers", c.dp_all_gathers},
            {"expert_grad_bytes", c.expert_grad_bytes},
            {"p2p_s_per_micro_batch", c.p2p_s_per_micro_batch},
            {"bubble_fraction", c.bubble_fraction},
            {"dp_allreduce_s", c.dp_allreduce_s},
            {"dp_exposed_s", c.dp_exposed_s},
            {"dp_overlap", c.dp_overlap},
            {"ep_overlap", c.ep_overlap},
            {"ep_hidden_fraction", c.ep_hidden_fraction},
            {"ep_all_s_per_micro_batch", c.ep_all_s_per_micro_batch},
            {"tp_link_gb_s", c.tp_link.gb_s},
            {"cp_link_gb_s", c.cp_link.gb_s},
            {"pp_link_gb_s", c.pp_link.gb_s},
            {"dp_link_gb_s", c.dp_link.gb_s},
            {"ep_link_gb_s", c.ep_link.gb_s},
            {"reasons", c.reasons}});
  return j;
}

std::string power_basis(bool measured) { return measured ? "measured (NVML, mean over the step)" : "TDP"; }

nlohmann::json interruptions_json(const EstimateResult& r) {
  const Goodput& g = *r.goodput;
  return {{"gpus", g.gpus},
          {"job_mtbf_s", g.job_mtbf_s},
          {"checkpoint_interval_s", g.interval_s},
          {"checkpoint_interval_optimal", g.interval_optimal},
          {"goodput", g.fraction},
          {"checkpoint_share", g.checkpoint_share},
          {"rework_share", g.rework_share},
          {"restart_share", g.restart_share},
          {"expected_interruptions", g.expected_interruptions},
          {"uninterrupted_gpu_hours", *r.uninterrupted_gpu_hours},
          {"uninterrupted_wall_days", *r.uninterrupted_wall_days}};
}

nlohmann::json to_json(const EstimateResult& r) {
  nlohmann::json j;
  j["model"] = r.model;
  j["params"] = r.params;
  j["active_params"] = r.active_params;
  j["tokens"] = r.tokens;  // 0: unknown (a memory-only question about a model without a published count)
  if (!r.tokens_estimated.empty()) j["tokens_estimated"] = r.tokens_estimated;
  j["seq_len"] = r.seq_len;
  j["training_flops"] = r.training_flops;
  j["pf_days"] = r.pf_days;
  j["model_flops_per_token"] = r.model_flops_per_token;
  j["hardware_flops_per_token"] = r.hardware_flops_per_token;
  j["training_model_flops"] = r.training_model_flops;
  j["training_hardware_flops"] = r.training_hardware_flops;
  j["recompute"] = to_string(r.recompute);
  j["conventions"] = {
      {"training_flops", "6*N*D (GPT-3 Table D.1); N = all parameters (mixture of experts: the active ones)"},
      {"model_flops", "6*N_matmul + attention (forward 4*s*h*d_head per layer, unmasked even when causal, as "
                      "PaLM appendix B counts it and published MFUs use; backward 2x; d_head = (d_qk + d_v)/2 "
                      "under multi-head latent attention)"},
      {"hardware_flops", "model_flops plus forward passes re-run by recomputation (" + std::string(to_string(r.recompute)) + ")"},
      {"sites_at_peak", "training_flops / (site peak x days): the article's arithmetic"},
      {"sites_at_measured", "training_model_flops / (site peak x MFU x the SKU's --dtype peak / its bf16 peak x days)"}};
  if (r.sustained_tflops_per_gpu) {
    j["sustained_tflops_per_gpu"] = *r.sustained_tflops_per_gpu;
    j["throughput_source"] = r.throughput_source.value_or("");
    j["gpu_hours"] = *r.gpu_hours;
  }
  if (r.mfu) j["mfu"] = *r.mfu;
  if (r.mfu_end_to_end) j["mfu_end_to_end"] = *r.mfu_end_to_end;
  if (r.peak_gpu_hours) {
    j["peak_gpu_hours"] = *r.peak_gpu_hours;
    j["peak_tflops"] = *r.peak_tflops;
    if (r.peak_wall_days) j["peak_wall_days"] = *r.peak_wall_days;
  }
  if (r.gpus) {
    j["gpus"] = *r.gpus;
    j["gpus_derived_from_days"] = r.gpus_derived.value_or(false);
    j["gpus_raised_to_hold_the_model"] = r.gpus_raised_to_hold;
  }
  if (r.wall_days) j["wall_days"] = *r.wall_days;
  if (r.servers) {
    j["servers"] = *r.servers;
    j["gpus_per_server"] = r.gpus_per_server;
  }
  if (r.server_cost) {
    j["server_cost"] = *r.server_cost;
    j["server_currency"] = r.server_currency;
    j["server_currency_assumed"] = r.server_currency_assumed;
  }
  if (r.energy_mwh) {
    j["energy_mwh"] = *r.energy_mwh;
    j["pue"] = *r.pue;
    j["power_w_per_gpu"] = *r.power_w;
    j["power_basis"] = power_basis(r.power_measured);
    if (r.energy_with_server_mwh) {
      j["energy_with_server_mwh"] = *r.energy_with_server_mwh;
      j["server_other_w_per_gpu"] = *r.server_other_w;
    }
  }
  if (r.rental_cost) {
    j["rental_cost"] = *r.rental_cost;
    j["rental_currency"] = *r.rental_currency;
    j["rental_currency_assumed"] = r.rental_currency_assumed;
  }
  if (r.site) {
    j["site"] = *r.site;
    j["site_days"] = *r.site_days;
    // The sites' currency (their cost), not a quote's: rental_currency and server_currency are those.
    j["site_currency"] = r.currency;
    if (r.gpus_per_site) j["gpus_per_site"] = *r.gpus_per_site;
    j["at_peak"] = site_json(*r.at_peak);
    // The headline figures: measured when we have a throughput, else the article's peak method.
    const SiteEstimate& headline = r.at_measured ? *r.at_measured : *r.at_peak;
    j["sites_needed"] = headline.sites_needed;
    j["sites_cost"] = headline.total_cost;
    j["sites_basis"] = r.at_measured ? "measured" : "peak";
    if (r.at_measured) j["at_measured"] = site_json(*r.at_measured);
    if (r.at_measured && r.at_measured->sites_whole_hold_gpus)
      j["sites_whole_hold_gpus"] = *r.at_measured->sites_whole_hold_gpus;
    if (r.site_goodput)
      j["site_interruptions"] = {{"gpus_per_site", *r.gpus_per_site},
                                 {"gpus", r.site_goodput->gpus},
                                 {"goodput", r.site_goodput->fraction},
                                 {"job_mtbf_s", r.site_goodput->job_mtbf_s}};
    if (r.site_interruptions_unreachable)
      j["site_interruptions"] = {{"unreachable", *r.site_interruptions_unreachable}};
  }
  if (r.electricity_cost) {
    j["electricity_cost"] = *r.electricity_cost;
    j["electricity_currency"] = r.electricity_currency;
  }
  if (r.goodput) j["interruptions"] = interruptions_json(r);
  j["model_state_bytes"] = r.model_state_bytes;
  if (r.min_gpus_to_hold) j["min_gpus_to_hold"] = *r.min_gpus_to_hold;
  if (r.memory) j["memory"] = memory_json(*r.memory);
  if (r.scaling) {
    // The communication model (only with --tp/--pp/--dp): its terms and why.
    j["scaling"] = scaling_json(*r.scaling);
    if (r.ideal_gpu_hours) j["ideal_gpu_hours"] = *r.ideal_gpu_hours;
    if (r.ideal_wall_days) j["ideal_wall_days"] = *r.ideal_wall_days;
  }
  return j;
}

std::string layout_flags(const EstimateRequest& q) {
  // Everything that changes the result, so that the line reproduces it.
  return fmt::format("--tp {}{} --pp {} --dp {}{} --micro-batches {} --micro-batch-size {} --zero {}{} --recompute {}{}{}{}",
                     *q.tp, q.cp.value_or(1) > 1 ? fmt::format(" --cp {}", *q.cp) : "", *q.pp, *q.dp,
                     q.ep.value_or(1) > 1 ? fmt::format(" --ep {}", *q.ep) : "", *q.micro_batches, q.micro_batch_size,
                     q.zero_stage, q.zero3_keep_gathered ? " --zero3-keep-gathered" : "", to_string(q.recompute),
                     q.virtual_stages > 1 ? fmt::format(" --virtual-stages {}", q.virtual_stages) : "",
                     q.overlap ? fmt::format(" --overlap {}", *q.overlap) : "",
                     q.ep_overlap && q.ep.value_or(1) > 1 ? fmt::format(" --ep-overlap {}", *q.ep_overlap) : "");
}

std::string layout_summary(const EstimateRequest& q) {
  return fmt::format("tp {}{} x pp {}{} x dp {}{}, m {}{}{}{}", *q.tp,
                     q.cp.value_or(1) > 1 ? fmt::format(" x cp {}", *q.cp) : "", *q.pp,
                     q.virtual_stages > 1 ? fmt::format(" (v {})", q.virtual_stages) : "", *q.dp,
                     q.ep.value_or(1) > 1 ? fmt::format(" (ep {})", *q.ep) : "", *q.micro_batches,
                     q.micro_batch_size > 1 ? fmt::format(" of {}", q.micro_batch_size) : "",
                     q.zero_stage > 0 ? fmt::format(", ZeRO-{}{}", q.zero_stage, q.zero3_keep_gathered ? " kept gathered" : "")
                                      : "",
                     q.recompute != Recompute::None ? fmt::format(", {} recompute", to_string(q.recompute)) : "");
}

static nlohmann::json choice_json(const LayoutChoice& c) {
  const auto& q = c.request;
  return {{"tp", *q.tp},
                      {"cp", q.cp.value_or(1)},
                      {"ep", q.ep.value_or(1)},
                      {"pp", *q.pp},
                      {"dp", *q.dp},
                      {"micro_batches", *q.micro_batches},
                      {"micro_batch_size", q.micro_batch_size},
                      {"virtual_stages", q.virtual_stages},
                      {"zero_stage", q.zero_stage},
                      {"zero3_keep_gathered", q.zero3_keep_gathered},
                      {"zero_reason", c.zero_reason},
                      {"recompute", to_string(q.recompute)},
                      {"gpus", *c.result.gpus},
                      {"flags", layout_flags(q)},
                      {"efficiency", c.result.scaling->efficiency},
                      {"wall_days", *c.result.wall_days},
                      {"gpu_hours", *c.result.gpu_hours},
                      {"peak_memory_bytes", c.result.memory->footprint.peak().total_bytes()},
                      {"memory_used_fraction", c.result.memory->fit->used_fraction}};
}

nlohmann::json to_json(const LayoutSearchResult& s) {
  nlohmann::json ranked = nlohmann::json::array();
  for (const LayoutChoice& c : s.ranked) ranked.push_back(choice_json(c));
  return {{"objective", s.objective},
          {"global_batch", s.global_batch},
          {"tensor_sizes", s.tensor_sizes},
          {"tensor_size_measured", s.tensor_size_measured},
          {"context_sizes", s.context_sizes},
          {"zero_stage_pinned", s.zero_stage_pinned ? nlohmann::json(*s.zero_stage_pinned) : nlohmann::json(nullptr)},
          {"zero3_keep_gathered", s.zero3_keep_gathered},
          {"considered", s.considered},
          {"feasible", s.feasible},
          {"ranked", ranked},
          {"held_hardware_tflops",
           s.held_hardware_tflops ? nlohmann::json(*s.held_hardware_tflops) : nlohmann::json(nullptr)},
          {"soonest_days", s.soonest_days ? nlohmann::json(*s.soonest_days) : nlohmann::json(nullptr)},
          {"soonest_fitting", s.soonest_fitting ? choice_json(*s.soonest_fitting) : nlohmann::json(nullptr)}};
}

}  // namespace tb
