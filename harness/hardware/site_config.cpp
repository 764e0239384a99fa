#include "harness/hardware/site_config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/common/currency.hpp"
#include "harness/common/errors.hpp"
#include "harness/config/config_catalog.hpp"
#include "harness/config/toml_reader.hpp"

namespace tb {

SiteConfig load_site(const std::string& name_or_path) {
  auto path = config::resolve(config::ConfigKind::Site, name_or_path);
  auto r = config::TomlReader::from_file(path.string());
  SiteConfig s;
  s.name = r.require_string("name");
  s.display_name = r.optional_string("display_name").value_or(s.name);
  s.source = r.require_string("source");
  s.peak_pflops = r.require_positive("peak_pflops");
  s.cost = r.require_positive("cost");
  s.currency = checked_currency(r.require_string("currency"), fmt::format("{}: field 'currency'", r.origin()));
  s.pue = r.optional_positive("pue").value_or(1.0);
  if (s.pue < 1.0)
    throw UsageError(fmt::format("{}: field 'pue' must be >= 1.0 (got {})", r.origin(), s.pue));
  s.electricity_price_per_kwh = r.optional_positive("electricity_price_per_kwh");
  s.sku = r.optional_string("sku");
  s.inter_node_gb_s = r.optional_positive("interconnect.inter_node_gb_s");
  // Configs written before the field state no assumptions: their figures print as before.
  s.assumed = r.optional_string_list("assumed");
  for (const auto& field : s.assumed) {
    const auto& accepted = site_fields_that_may_be_assumed();
    if (std::find(accepted.begin(), accepted.end(), field) == accepted.end())
      throw UsageError(fmt::format("{}: field 'assumed' names '{}'; accepted values: {}", r.origin(), field,
                                   fmt::join(accepted, ", ")));
  }
  r.refuse_unknown_fields();
  return s;
}

bool SiteConfig::is_assumed(const std::string& field) const {
  return std::find(assumed.begin(), assumed.end(), field) != assumed.end();
}

const std::vector<std::string>& site_fields_that_may_be_assumed() {
  static const std::vector<std::string> fields{"peak_pflops", "cost", "pue", "electricity_price_per_kwh",
                                               "interconnect.inter_node_gb_s"};
  return fields;
}

std::string assumed_suffix(const SiteConfig& site, const std::string& field) {
  return site.is_assumed(field) ? " (assumed)" : "";
}

std::vector<std::string> site_presets_of_any_gpu() {
  std::vector<std::string> names;
  for (const auto& name : config::available_names(config::ConfigKind::Site)) {
    try {
      if (!load_site(name).sku) names.push_back(name);
    } catch (const UsageError&) {
      // A broken preset is refused where it is named, not here.
    }
  }
  return names;
}

}  // namespace tb
