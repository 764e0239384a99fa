#include "cli/site_flags.hpp"

#include <fmt/format.h>

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

}  // namespace tb::cli
