#include "harness/hardware/site_config.hpp"

#include <fmt/format.h>

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
  r.refuse_unknown_fields();
  return s;
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
