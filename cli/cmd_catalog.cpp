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
  fmt::print("{:<16} {:>9} {:>9} {:>6} {:>6} {:>6} {:>4} {:>7} {:>7} {:>6}  {}\n", "name", "params", "active",
             "layers", "hidden", "heads", "kv", "ffn", "vocab", "seq", "mlp");
  for (const auto& name : config::available_names(config::ConfigKind::Model)) {
    ModelConfig m = load_model(name);
    const ParameterCount p = count_parameters(m);
    const std::string mlp = m.moe ? fmt::format("{}; MoE {} x {} top-{}{}", to_string(m.mlp), m.moe->experts,
                                                m.moe->expert_ffn_hidden, m.moe->experts_per_token,
                                                m.moe->shared_experts ? fmt::format(" +{} shared", m.moe->shared_experts) : "")
                                  : to_string(m.mlp);
    fmt::print("{:<16} {:>9} {:>9} {:>6} {:>6} {:>6} {:>4} {:>7} {:>7} {:>6}  {}\n", name, human_count(p.total),
               human_count(p.active), m.layers, m.hidden, m.heads, m.kv_heads, m.ffn_hidden,
               m.vocab, m.seq_len, mlp);
  }
}

void list_skus() {
  fmt::print("{:<14} {:>10} {:>9} {:>9} {:>8} {:>10} {:>7}  {}\n", "name", "bf16 TF/s", "fp8 TF/s",
             "tf32 TF/s", "mem GB", "BW TB/s", "TDP W", "device");
  for (const auto& name : config::available_names(config::ConfigKind::Sku)) {
    SkuConfig s = load_sku(name);
    auto peak = [&](DType d) {
      const double peak = s.peak_tflops_or_zero(d);
      return peak > 0 ? fmt::format("{:g}", peak) : std::string("-");
    };
    fmt::print("{:<14} {:>10} {:>9} {:>9} {:>8g} {:>10g} {:>7g}  {}\n", name, peak(DType::BF16),
               peak(DType::FP8), peak(DType::TF32), s.memory_gb, s.memory_bandwidth_tb_s, s.tdp_w,
               s.display_name);
  }
}

void list_sites() {
  fmt::print("{:<14} {:>10} {:>24} {:>5}  {}\n", "name", "PFLOPS", "cost", "PUE", "description");
  for (const auto& name : config::available_names(config::ConfigKind::Site)) {
    SiteConfig s = load_site(name);
    fmt::print("{:<14} {:>10g} {:>24} {:>5.2f}  {}\n", name, s.peak_pflops, human_money(s.cost, s.currency),
               s.pue, s.display_name);
  }
}

void add_catalog_commands(CLI::App& app) {
  app.add_subcommand("models", "List model configs with their computed parameter counts")->callback(list_models);
  app.add_subcommand("skus", "List GPU SKU configs with their dense peaks")->callback(list_skus);
  app.add_subcommand("sites", "List data-center presets")->callback(list_sites);
}

const Registration registration{"models", 90, add_catalog_commands};

}  // namespace
}  // namespace tb::cli
