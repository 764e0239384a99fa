#pragma once
// A data-center preset from configs/sites/<name>.toml: the article's "500P" center is one.
#include <optional>
#include <string>
#include <vector>

namespace tb {

struct SiteConfig {
  std::string name;
  std::string display_name;
  std::string source;
  double peak_pflops = 0;          // rated peak of the whole site (dense, the rating's dtype)
  double cost = 0;                 // investment for one site
  std::string currency = "CNY";
  double pue = 1.0;                // power usage effectiveness: facility power / IT power
  std::optional<double> electricity_price_per_kwh;  // same currency as cost
  std::optional<std::string> sku;  // GPU SKU the site is built from, if known
  // The site's network per GPU, one direction ([interconnect] inter_node_gb_s): the fabric is the
  // site's, not the GPU's; inside a server the SKU's NVLink figure holds.
  std::optional<double> inter_node_gb_s;
  // The fields the config marks as its own assumptions, not its source's (`assumed = ["pue", ...]`):
  // the article gives the 500P site's cost, not its PUE or tariff. Output says "(assumed)" beside them.
  std::vector<std::string> assumed;
  bool is_assumed(const std::string& field) const;
};

// The fields `assumed` may name.
const std::vector<std::string>& site_fields_that_may_be_assumed();
// " (assumed)" where the site marks `field` as assumed, else "": for a figure's provenance in output.
std::string assumed_suffix(const SiteConfig& site, const std::string& field);

SiteConfig load_site(const std::string& name_or_path);

// The presets built of no one GPU SKU (500p, 1000p): those any SKU's or run's figures can be
// weighed at, as messages offer them. A preset that does not load is left out (it is refused
// where it is named).
std::vector<std::string> site_presets_of_any_gpu();

}  // namespace tb
