#include "harness/hardware/sku_match.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "harness/common/errors.hpp"
#include "harness/config/config_catalog.hpp"

namespace tb {

namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string without_anchor(const std::string& pattern) {
  return !pattern.empty() && pattern.back() == '$' ? pattern.substr(0, pattern.size() - 1) : pattern;
}

std::vector<std::string> tokens(const std::string& name) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : name) {
    if (c == ' ' || c == '-') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Every SKU config here. One the user added with a field this version does not know must not stop
// every GPU command: it is skipped, said once (naming it strictly is the job of --sku/--gpu, which
// load it as given).
std::vector<SkuConfig> readable_skus() {
  std::vector<SkuConfig> skus;
  for (const auto& name : config::available_names(config::ConfigKind::Sku)) {
    try {
      skus.push_back(load_sku(name));
    } catch (const UsageError& e) {
      fmt::print(stderr, "trainbench: skipping SKU config {} while matching the device: {}\n", name, e.what());
    }
  }
  return skus;
}

}  // namespace

bool device_name_matches(const std::string& device_name, const std::string& pattern) {
  const std::string text = without_anchor(pattern);
  if (text.empty() || device_name.size() < text.size()) return false;
  const size_t at = device_name.size() - text.size();
  if (device_name.compare(at, text.size(), text) != 0) return false;
  // "GH200" ends with "H200" but is another chip: the pattern must begin a word.
  return at == 0 || !word_char(device_name[at - 1]) || !word_char(text.front());
}

std::string chip_word(const std::string& name) {
  for (const auto& t : tokens(name))
    for (char c : t)
      if (std::isdigit(static_cast<unsigned char>(c))) return t;
  return "";
}

namespace {

std::optional<SkuConfig> best_match(const std::vector<SkuConfig>& skus, const std::string& device_name,
                                    double memory_gb) {
  std::optional<SkuConfig> best;
  double best_gap = 1e30;
  for (const auto& sku : skus)
    for (const auto& pattern : sku.device_name_patterns) {
      if (!device_name_matches(device_name, pattern)) continue;
      // Two configs naming the same part (a user's copy beside ours): the memory size decides.
      const double gap = std::abs(sku.memory_gb - memory_gb);
      if (gap < best_gap) {
        best_gap = gap;
        best = sku;
      }
    }
  return best;
}

}  // namespace

std::optional<SkuConfig> match_sku(const std::string& device_name, double memory_gb) {
  return best_match(readable_skus(), device_name, memory_gb);
}

std::string unmatched_sku_note(const std::string& device_name, double memory_gb) {
  const std::vector<SkuConfig> skus = readable_skus();
  if (best_match(skus, device_name, memory_gb)) return "";
  const std::vector<std::string> words = tokens(device_name);
  std::vector<std::string> near;
  for (const auto& sku : skus) {
    for (const auto& pattern : sku.device_name_patterns) {
      const std::string chip = chip_word(without_anchor(pattern));
      if (chip.empty() || std::find(words.begin(), words.end(), chip) == words.end()) continue;
      near.push_back(fmt::format("{} (matches \"{}\")", sku.name, without_anchor(pattern)));
      break;
    }
  }
  const std::string variant =
      near.empty() ? ""
                   : fmt::format(": a variant of the chip of {}, which {} not describe it (clocks, power and memory "
                                 "differ between variants)",
                                 fmt::join(near, ", "), near.size() == 1 ? "does" : "do");
  return fmt::format("trainbench: note: no SKU config matches the device name \"{}\" exactly{}; it is treated as an "
                     "unknown GPU: no datasheet peak, so no % of peak or MFU, and health judges nothing against a "
                     "datasheet; --sku NAME uses one anyway (trainbench skus lists them), or add a config whose "
                     "[match] device_names holds this name\n",
                     device_name, variant);
}

}  // namespace tb
