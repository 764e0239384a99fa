#include "cli/catalog_json.hpp"

#include <optional>

#include "harness/model/flop_formulas.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb::cli {
namespace {

using nlohmann::json;

// Absent figures are null, never a 0 that would read as a measurement.
template <typename T>
json or_null(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json by_dtype(const std::map<DType, double>& figures) {
  json j = json::object();
  for (const auto& [dtype, value] : figures) j[to_string(dtype)] = value;
  return j;
}

}  // namespace

json model_listing_json(const ModelConfig& m) {
  const ParameterCount p = count_parameters(m);
  const double per_token = formulas::flops_per_token(m, m.seq_len).model;
  json j{{"name", m.name},
         {"display_name", m.display_name},
         {"source", m.source},
         {"params", p.total},
         {"active_params", p.active},
         {"layers", m.layers},
         {"hidden", m.hidden},
         {"heads", m.heads},
         {"kv_heads", m.kv_heads},
         {"head_dim", m.head_dim},
         {"ffn_hidden", m.ffn_hidden},
         {"vocab", m.vocab},
         {"seq_len", m.seq_len},
         {"mlp", to_string(m.mlp)},
         {"moe", nullptr},
         {"model_flops_per_token", per_token},
         {"train_tokens", nullptr},
         {"tokens_estimated", m.tokens_estimated},
         {"training_flops", nullptr},
         {"pf_days", nullptr},
         {"training_model_flops", nullptr},
         {"model_pf_days", nullptr},
         {"published_pf_days", or_null(m.published_pf_days)},
         {"published_source", m.published_source},
         {"batch_sequences", or_null(m.batch_sequences)},
         {"batch_assumed", m.batch_assumed}};
  if (m.moe)
    j["moe"] = {{"experts", m.moe->experts},
                {"experts_per_token", m.moe->experts_per_token},
                {"expert_ffn_hidden", m.moe->expert_ffn_hidden},
                {"shared_experts", m.moe->shared_experts},
                {"dense_layers", m.moe->dense_layers}};
  if (m.train_tokens > 0) {
    // estimate's figures for the config's own tokens (harness/estimate/estimate.cpp).
    const double six_nd = formulas::training_flops_6nd(p.active, m.train_tokens);
    j["train_tokens"] = m.train_tokens;
    j["training_flops"] = six_nd;
    j["pf_days"] = formulas::pf_days(six_nd);
    j["training_model_flops"] = per_token * m.train_tokens;
    j["model_pf_days"] = formulas::pf_days(per_token * m.train_tokens);
  }
  return j;
}

json sku_listing_json(const SkuConfig& s) {
  return json{{"name", s.name},
              {"display_name", s.display_name},
              {"source", s.source},
              {"peak_tflops", by_dtype(s.peak_tflops)},
              {"memory_gb", s.memory_gb},
              {"usable_gib", or_null(s.usable_gib)},
              {"capacity_gib", s.capacity_gib()},
              {"memory_bandwidth_tb_s", s.memory_bandwidth_tb_s},
              {"tdp_w", s.tdp_w},
              {"gpus_per_server", s.gpus_per_server},
              {"server_power_w", or_null(s.server_power_w)},
              {"intra_node_gb_s", or_null(s.intra_node_gb_s)},
              {"inter_node_gb_s", or_null(s.inter_node_gb_s)},
              {"price_per_gpu_hour", or_null(s.price_per_gpu_hour)},
              {"server_price", or_null(s.server_price)},
              // USD without a [price] table is a default of no machine: no currency then.
              {"currency", s.price_table ? json(s.currency) : json(nullptr)},
              {"sustained_gemm_tflops", by_dtype(s.sustained_gemm_tflops)}};
}

}  // namespace tb::cli
