#include "cli/site_flags.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/common/errors.hpp"

namespace tb::cli {

void add_site_flag(CLI::App* cmd, std::string& site, const std::string& what) {
  cmd->add_option("--site", site, "Data-center preset (trainbench sites) or a .toml file: " + what);
}

std::optional<SiteConfig> load_site_flag(const std::string& site) {
  if (site.empty()) return std::nullopt;
  try {
    return load_site(site);
  } catch (const UsageError& e) {
    // The catalog's message lists the names and the near miss; the flag is said once, in front.
    throw UsageError(fmt::format("--site: {}", e.what()));
  }
}

void refuse_site_of_one_sku(const SiteConfig& site, const std::vector<std::string>& skus) {
  if (!site.sku) return;
  std::vector<std::string> others;
  for (const auto& name : skus)
    if (name != *site.sku) others.push_back(name);
  const std::vector<std::string> any = site_presets_of_any_gpu();
  throw UsageError(fmt::format(
      "--site {} is built of {} GPUs; --gpu lists {} too: its network, power and cost describe {} servers only. Give "
      "a site built of no one GPU{}, or its figures for every SKU by hand: --pue {:g}{}",
      site.name, *site.sku, fmt::join(others, ", "), *site.sku,
      any.empty() ? "" : fmt::format(" ({})", fmt::join(any, ", ")), site.pue,
      site.electricity_price_per_kwh
          ? fmt::format(" --electricity-price {:g} --currency {}", *site.electricity_price_per_kwh, site.currency)
          : ""));
}

}  // namespace tb::cli
