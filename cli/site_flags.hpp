#pragma once
// `--site NAME|FILE`, shared by estimate, compare and report: a data-center preset
// (configs/sites/*.toml, harness/hardware/site_config.hpp) whose PUE and electricity price weigh
// every energy and cost figure the same way in all three (estimate also sizes its data centers).
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "harness/hardware/site_config.hpp"

namespace tb::cli {

// `what`: what the command does with the site, after "Data-center preset (trainbench sites) or a
// .toml file: ".
void add_site_flag(CLI::App* cmd, std::string& site, const std::string& what);

// The site --site names; none for "". A name that is no preset or a file that is no site config
// is a UsageError naming --site, with the accepted names and the near miss ("--site: unknown site
// '50p' (did you mean 500p?); valid names: 1000p, 500p, ...").
std::optional<SiteConfig> load_site_flag(const std::string& site);

}  // namespace tb::cli
