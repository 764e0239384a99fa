// `trainbench models | skus | sites`: what is available, one line each with the key numbers.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/catalog_json.hpp"
#include "cli/command_registry.hpp"
#include "harness/common/human_format.hpp"
#include "harness/config/config_catalog.hpp"
#include "harness/hardware/site_config.hpp"
#include "harness/hardware/sku_config.hpp"
#include "harness/model/flop_formulas.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb::cli {
namespace {

void list_models(bool json) {
  if (json) {
    nlohmann::json j{{"models", nlohmann::json::array()}};
    for (const auto& name : config::available_names(config::ConfigKind::Model))
      j["models"].push_back(model_listing_json(load_model(name)));
    std::cout << j.dump(2) << "\n";
    return;
  }
  // Tokens and batch too: estimate and the layout search take them from here unless given.
  fmt::print("{:<16} {:>9} {:>9} {:>6} {:>6} {:>6} {:>4} {:>7} {:>7} {:>6} {:>10} {:>9} {:>10} {:>6}  {}\n", "name",
             "params", "active", "layers", "hidden", "heads", "kv", "ffn", "vocab", "seq", "FLOP/token", "tokens",
             "PF-days", "batch", "mlp");
  for (const auto& name : config::available_names(config::ConfigKind::Model)) {
    ModelConfig m = load_model(name);
    const ParameterCount p = count_parameters(m);
    const std::string mlp = m.moe ? fmt::format("{}; MoE {} x {} top-{}{}", to_string(m.mlp), m.moe->experts,
                                                m.moe->expert_ffn_hidden, m.moe->experts_per_token,
                                                m.moe->shared_experts ? fmt::format(" +{} shared", m.moe->shared_experts) : "")
                                  : to_string(m.mlp);
    // The count MFU divides by, at the config's own context.
    const double flops_per_token = formulas::flops_per_token(m, m.seq_len).model;
    const std::string estimated = m.tokens_estimated.empty() ? "" : "~";
    const bool tokens = m.train_tokens > 0;
    fmt::print("{:<16} {:>9} {:>9} {:>6} {:>6} {:>6} {:>4} {:>7} {:>7} {:>6} {:>10} {:>9} {:>10} {:>6}  {}\n", name,
               human_count(p.total), human_count(p.active), m.layers, m.hidden, m.heads, m.kv_heads, m.ffn_hidden,
               m.vocab, m.seq_len, sci(flops_per_token),
               tokens ? human_count(m.train_tokens) + estimated : std::string("-"),
               tokens ? human_pf_days(formulas::pf_days(formulas::training_flops_6nd(p.active, m.train_tokens))) +
                            estimated
                      : std::string("-"),
               m.batch_sequences ? std::to_string(*m.batch_sequences) + (m.batch_assumed.empty() ? "" : "*")
                                 : std::string("-"),
               mlp);
  }
  fmt::print("FLOP/token: training FLOPs per token at seq, PaLM appendix B's model FLOPs (6 x matmul weights + "
             "unmasked attention, backward included), the count MFU divides by; tokens: trained on, as published "
             "(~: estimated, the maker published none: the config's [training] tokens_estimated says how; -: none; "
             "give --tokens); PF-days: training compute, 6 x active params x tokens / 8.64e19 FLOP (GPT-3 Table D.1's "
             "rule, estimate's PF-days; PaLM's count x tokens is --json's model_pf_days); batch: sequences per step "
             "(*: assumed, the maker published none: the config's [training] batch_assumed says why; -: give "
             "--global-batch to the layout search)\n");
}

void list_skus(bool json) {
  if (json) {
    nlohmann::json j{{"skus", nlohmann::json::array()}};
    for (const auto& name : config::available_names(config::ConfigKind::Sku))
      j["skus"].push_back(sku_listing_json(load_sku(name)));
    std::cout << j.dump(2) << "\n";
    return;
  }
  fmt::print("{:<14} {:>10} {:>9} {:>9} {:>7} {:>10} {:>8} {:>6} {:>4} {:>8} {:>8} {:>14}  {}\n", "name",
             "bf16 TF/s", "fp8 TF/s", "tf32 TF/s", "mem GB", "usable GiB", "BW TB/s", "TDP W", "GPUs", "NVL GB/s",
             "net GB/s", "GPU-hour", "device");
  for (const auto& name : config::available_names(config::ConfigKind::Sku)) {
    SkuConfig s = load_sku(name);
    auto peak = [&](DType d) {
      const double peak = s.peak_tflops_or_zero(d);
      return peak > 0 ? fmt::format("{:g}", peak) : std::string("-");
    };
    auto link = [](const std::optional<double>& gb_s) { return gb_s ? fmt::format("{:g}", *gb_s) : std::string("-"); };
    // What every fit is judged against: the usable size, else the nominal one, marked.
    const std::string usable = fmt::format("{:g}{}", s.capacity_gib(), s.usable_gib ? "" : "*");
    fmt::print("{:<14} {:>10} {:>9} {:>9} {:>7g} {:>10} {:>8g} {:>6g} {:>4} {:>8} {:>8} {:>14}  {}\n", name,
               peak(DType::BF16), peak(DType::FP8), peak(DType::TF32), s.memory_gb, usable, s.memory_bandwidth_tb_s,
               s.tdp_w, s.gpus_per_server, link(s.intra_node_gb_s), link(s.inter_node_gb_s),
               s.price_per_gpu_hour ? fmt::format("{:g} {}", *s.price_per_gpu_hour, s.currency) : std::string("-"),
               s.display_name);
  }
  fmt::print("TF/s: dense peaks (no sparsity); mem GB: nominal, as sold; usable GiB: what the device exposes "
             "([memory] usable_gib: ECC and reserved memory off), which every fit is judged against (*: the config "
             "gives none, the nominal size is used); GPUs: per server; NVL/net: per GPU, one direction, inside a "
             "server and across; GPU-hour: the config's rental price per GPU-hour (-: none; give "
             "--gpu-hour-price)\n");
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
  auto models_json = std::make_shared<bool>(false), skus_json = std::make_shared<bool>(false);
  auto* models = app.add_subcommand("models", "List model configs: computed parameters, FLOPs per token, training "
                                              "PF-days");
  models->add_flag("--json", *models_json, "Print one JSON object (docs/catalog-json.md)");
  models->callback([models_json] { list_models(*models_json); });
  auto* skus = app.add_subcommand("skus", "List GPU SKU configs: dense peaks, nominal and usable memory, prices");
  skus->add_flag("--json", *skus_json, "Print one JSON object (docs/catalog-json.md)");
  skus->callback([skus_json] { list_skus(*skus_json); });
  app.add_subcommand("sites", "List data-center presets")->callback(list_sites);
}

const Registration registration{"models", 90, add_catalog_commands};

}  // namespace
}  // namespace tb::cli
