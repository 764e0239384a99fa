#include "harness/hardware/sku_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "harness/common/currency.hpp"
#include "harness/common/errors.hpp"
#include "harness/config/config_catalog.hpp"
#include "harness/config/toml_reader.hpp"

namespace tb {

const std::vector<std::string>& dtype_names() {
  static const std::vector<std::string> names = {"fp64", "fp32", "tf32", "bf16", "fp16", "fp8"};
  return names;
}

const char* to_string(DType dtype) {
  switch (dtype) {
    case DType::FP64: return "fp64";
    case DType::FP32: return "fp32";
    case DType::TF32: return "tf32";
    case DType::BF16: return "bf16";
    case DType::FP16: return "fp16";
    case DType::FP8: return "fp8";
  }
  return "?";
}

DType parse_dtype(const std::string& text, const std::string& what) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "e4m3" || t == "fp8e4m3") t = "fp8";
  if (t == "half") t = "fp16";
  if (t == "float") t = "fp32";
  for (size_t i = 0; i < dtype_names().size(); ++i)
    if (dtype_names()[i] == t) return static_cast<DType>(i);
  throw UsageError(fmt::format("{}: unknown dtype '{}'; accepted values: {}", what, text,
                               fmt::join(dtype_names(), ", ")));
}

int dtype_bytes(DType dtype) {
  switch (dtype) {
    case DType::FP64: return 8;
    case DType::FP32:
    case DType::TF32: return 4;
    case DType::BF16:
    case DType::FP16: return 2;
    case DType::FP8: return 1;
  }
  return 0;
}

double SkuConfig::peak_tflops_or_zero(DType dtype) const {
  auto it = peak_tflops.find(dtype);
  return it == peak_tflops.end() ? 0.0 : it->second;
}

double SkuConfig::peak_tflops_for(DType dtype) const {
  auto it = peak_tflops.find(dtype);
  if (it != peak_tflops.end()) return it->second;
  std::vector<std::string> have;
  for (const auto& [d, _] : peak_tflops) have.emplace_back(to_string(d));
  // A GPU may simply lack the dtype (Ampere has no fp8): a --dtype it lists comes first, the config
  // edit only for a GPU that has the tensor cores and a config that forgot them.
  throw UsageError(fmt::format("{}: SKU '{}' has no {} peak: no field 'peak_tflops.{}' (it lists {}). Give a --dtype it "
                               "lists; only if the GPU does run {} tensor math, add `{} = <dense TFLOP/s>` under "
                               "[peak_tflops]",
                               origin.empty() ? std::string("SKU config") : origin, name, to_string(dtype),
                               to_string(dtype), fmt::join(have, ", "), to_string(dtype), to_string(dtype)));
}

// A peak ten times too large reads as a GPU ten times faster in every figure: dense tensor math
// only speeds up from fp32 to bf16 to fp8 (each at least as fast as the wider one), so a wider
// dtype above a narrower one is a typo (bf16 = 9890 beside fp8 = 1979).
static void check_peak_order(const SkuConfig& s) {
  const std::pair<DType, DType> wider_narrower[] = {{DType::FP32, DType::BF16},
                                                    {DType::TF32, DType::BF16},
                                                    {DType::BF16, DType::FP8},
                                                    {DType::FP16, DType::FP8}};
  for (const auto& [wider, narrower] : wider_narrower) {
    const auto w = s.peak_tflops.find(wider), n = s.peak_tflops.find(narrower);
    if (w != s.peak_tflops.end() && n != s.peak_tflops.end() && w->second > n->second)
      throw UsageError(fmt::format("{}: peak_tflops.{} = {:g} is above peak_tflops.{} = {:g}: dense {} never outruns "
                                   "{}; give both as the datasheet's dense TFLOP/s (no sparsity)",
                                   s.origin, to_string(wider), w->second, to_string(narrower), n->second,
                                   to_string(wider), to_string(narrower)));
  }
}

static SkuConfig parse_sku(const config::TomlReader& r) {
  SkuConfig s;
  s.name = r.require_string("name");
  s.display_name = r.optional_string("display_name").value_or(s.name);
  s.source = r.require_string("source");
  for (const auto& dname : dtype_names())
    if (auto v = r.optional_positive("peak_tflops." + dname))
      s.peak_tflops[parse_dtype(dname, r.origin())] = *v;
  if (s.peak_tflops.empty())
    throw UsageError(fmt::format("{}: table 'peak_tflops' needs at least one of: {}", r.origin(),
                                 fmt::join(dtype_names(), ", ")));
  s.memory_gb = r.require_positive("memory.gb");
  s.usable_gib = r.optional_positive("memory.usable_gib");
  if (s.usable_gib && *s.usable_gib > s.memory_gb)
    throw UsageError(fmt::format("{}: field 'memory.usable_gib' = {:g} is above memory.gb = {:g}: give what the "
                                 "device exposes in GiB (nvidia-smi's memory total / 1024), positive and at most the "
                                 "nominal size",
                                 r.origin(), *s.usable_gib, s.memory_gb));
  s.memory_bandwidth_tb_s = r.require_positive("memory.bandwidth_tb_s");
  s.tdp_w = r.require_positive("power.tdp_w");
  s.gpus_per_server = static_cast<int>(r.optional_positive_int("server.gpus_per_server").value_or(8));
  s.server_power_w = r.optional_positive("server.power_w");
  if (s.server_power_w) {
    s.server_power_source = r.require_string("server.power_source");
    if (*s.server_power_w < s.gpus_per_server * s.tdp_w)
      throw UsageError(fmt::format("{}: server.power_w {:g} is below its {} GPUs' TDP ({:g} W): it is the whole "
                                   "server's power, GPUs included",
                                   r.origin(), *s.server_power_w, s.gpus_per_server, s.gpus_per_server * s.tdp_w));
  }
  s.price_table = r.has("price");
  s.price_per_gpu_hour = r.optional_positive("price.per_gpu_hour");
  s.server_price = r.optional_positive("price.server");
  s.currency = checked_currency(r.optional_string("price.currency").value_or("USD"),
                                fmt::format("{}: field 'price.currency'", r.origin()));
  s.price_source = r.optional_string("price.source").value_or("");
  s.origin = r.origin();
  check_peak_order(s);
  s.intra_node_gb_s = r.optional_positive("interconnect.intra_node_gb_s");
  s.inter_node_gb_s = r.optional_positive("interconnect.inter_node_gb_s");
  s.device_name_patterns = r.optional_string_list("match.device_names");
  for (const auto& dname : dtype_names())
    if (auto v = r.optional_positive("sustained.gemm_tflops." + dname))
      s.sustained_gemm_tflops[parse_dtype(dname, r.origin())] = *v;
  if (!s.sustained_gemm_tflops.empty()) s.sustained_source = r.require_string("sustained.source");
  else r.optional_string("sustained.source");  // a source with no figures: harmless, not a typo
  r.refuse_unknown_fields();
  return s;
}

std::string SkuConfig::capacity_text() const {
  return usable_gib ? fmt::format("{:g} GiB usable of {:g}", *usable_gib, memory_gb) : fmt::format("{:g} GiB", memory_gb);
}

SkuConfig load_sku(const std::string& name_or_path) {
  auto path = config::resolve(config::ConfigKind::Sku, name_or_path);
  return parse_sku(config::TomlReader::from_file(path.string()));
}

}  // namespace tb
