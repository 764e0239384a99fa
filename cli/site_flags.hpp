#pragma once
// `--site NAME|FILE`, shared by estimate, compare and report: a data-center preset
// (configs/sites/*.toml, harness/hardware/site_config.hpp) whose PUE and electricity price weigh
// every energy and cost figure the same way in all three (estimate also sizes its data centers).
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "harness/hardware/site_config.hpp"

namespace tb::cli {

// `what`: what the command does with the site, after "Data-center preset (trainbench sites) or a
// .toml file: ".
void add_site_flag(CLI::App* cmd, std::string& site, const std::string& what);

// The site --site names; none for "". A name that is no preset or a file that is no site config
// is a UsageError naming --site, with the accepted names and the near miss ("--site: unknown site
// '50p' (did you mean 500p?); valid names: 1000p, 500p, ...").
std::optional<SiteConfig> load_site_flag(const std::string& site);

// `estimate --gpu A,B,C --site S` takes a site's PUE and tariff for every SKU, and its rating in
// each SKU's GPUs (docs/estimate-json.md, `skus[]`). A site built of one SKU (h100-1024) is a
// UsageError there, as compare refuses it beside runs of another SKU: its servers' network, power
// and cost describe that SKU's machines. The message names the sites of no one GPU and the
// site's figures to give by hand (--pue, --electricity-price, --currency).
void refuse_site_of_one_sku(const SiteConfig& site, const std::vector<std::string>& skus);

}  // namespace tb::cli
