// `trainbench models | skus | sites`: what is available, one line each with the key numbers.
#include <fmt/format.h>

#include "cli/command_registry.hpp"
#include "harness/common/human_format.hpp"
#include "harness/config/config_catalog.hpp"
#include "harness/hardware/site_config.hpp"
#include "harness/hardware/sku_config.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb::cli {
namespace {

void list_models() {
  // Tokens and batch too: estimate and the layout search take them from here unless given.
  fmt::print("{:<16} {:>9} {:>9} {:>6} {:>6} {:>6} {:>4} {:>7} {:>7} {:>6} {:>8} {:>6}  {}\n", "name", "params",
             "active", "layers", "hidden", "heads", "kv", "ffn", "vocab", "seq", "tokens", "batch", "mlp");
  for (const auto& name : config::available_names(config::ConfigKind::Model)) {
    ModelConfig m = load_model(name);
    const ParameterCount p = count_parameters(m);
    const std::string mlp = m.moe ? fmt::format("{}; MoE {} x {} top-{}{}", to_string(m.mlp), m.moe->experts,
                                                m.moe->expert_ffn_hidden, m.moe->experts_per_token,
                                                m.moe->shared_experts ? fmt::format(" +{} shared", m.moe->shared_experts) : "")
                                  : to_string(m.mlp);
    fmt::print("{:<16} {:>9} {:>9} {:>6} {:>6} {:>6} {:>4} {:>7} {:>7} {:>6} {:>8} {:>6}  {}\n", name,
               human_count(p.total), human_count(p.active), m.layers, m.hidden, m.heads, m.kv_heads, m.ffn_hidden,
               m.vocab, m.seq_len, m.train_tokens > 0 ? human_count(m.train_tokens) + (m.tokens_estimated.empty() ? "" : "~")
                                   : std::string("-"),
               m.batch_sequences ? std::to_string(*m.batch_sequences) + (m.batch_assumed.empty() ? "" : "*")
                                 : std::string("-"),
               mlp);
  }
  fmt::print("tokens: trained on, as published (~: estimated, the maker published none: the config's [training] "
             "tokens_estimated says how; -: none; give --tokens); batch: sequences per step (*: assumed, "
             "the maker published none: the config's [training] batch_assumed says why; -: give --global-batch to the "
             "layout search)\n");
}

void list_skus() {
  fmt::print("{:<14} {:>10} {:>9} {:>9} {:>8} {:>10} {:>7} {:>4} {:>8} {:>8} {:>12}  {}\n", "name", "bf16 TF/s",
             "fp8 TF/s", "tf32 TF/s", "mem GB", "BW TB/s", "TDP W", "GPUs", "NVL GB/s", "net GB/s", "GPU-hour",
             "device");
  for (const auto& name : config::available_names(config::ConfigKind::Sku)) {
    SkuConfig s = load_sku(name);
    auto peak = [&](DType d) {
      const double peak = s.peak_tflops_or_zero(d);
      return peak > 0 ? fmt::format("{:g}", peak) : std::string("-");
    };
    auto link = [](const std::optional<double>& gb_s) { return gb_s ? fmt::format("{:g}", *gb_s) : std::string("-"); };
    fmt::print("{:<14} {:>10} {:>9} {:>9} {:>8g} {:>10g} {:>7g} {:>4} {:>8} {:>8} {:>12}  {}\n", name,
               peak(DType::BF16), peak(DType::FP8), peak(DType::TF32), s.memory_gb, s.memory_bandwidth_tb_s, s.tdp_w,
               s.gpus_per_server, link(s.intra_node_gb_s), link(s.inter_node_gb_s),
               s.price_per_gpu_hour ? fmt::format("{:g} {}", *s.price_per_gpu_hour, s.currency) : std::string("-"),
               s.display_name);
  }
  fmt::print("GPUs: per server; NVL/net: per GPU, one direction, inside a server and across; GPU-hour: the config's "
             "rental price (-: none; give --gpu-hour-price)\n");
}

void list_sites() {
  fmt::print("{:<14} {:>10} {:>25} {:>6} {:>11} {:>12}  {}\n", "name", "PFLOPS", "cost", "PUE", "per kWh", "GPUs",
             "description");
  // A figure the config assumes rather than takes from its source is starred, as the 500P's PUE and tariff are.
  const auto star = [](const SiteConfig& s, const char* field) { return s.is_assumed(field) ? "*" : " "; };
  for (const auto& name : config::available_names(config::ConfigKind::Site)) {
    SiteConfig s = load_site(name);
    fmt::print("{:<14} {:>10g} {:>24}{} {:>5.2f}{} {:>10}{} {:>12}  {}\n", name, s.peak_pflops,
               human_money(s.cost, s.currency), star(s, "cost"), s.pue, star(s, "pue"),
               s.electricity_price_per_kwh ? fmt::format("{:g} {}", *s.electricity_price_per_kwh, s.currency)
                                           : std::string("-"),
               star(s, "electricity_price_per_kwh"), s.sku.value_or("-"), s.display_name);
  }
  fmt::print("*: assumed by the config (its `assumed` list), not taken from its source\n");
}

void add_catalog_commands(CLI::App& app) {
  app.add_subcommand("models", "List model configs with their computed parameter counts")->callback(list_models);
  app.add_subcommand("skus", "List GPU SKU configs with their dense peaks")->callback(list_skus);
  app.add_subcommand("sites", "List data-center presets")->callback(list_sites);
}

const Registration registration{"models", 90, add_catalog_commands};

}  // namespace
}  // namespace tb::cli
