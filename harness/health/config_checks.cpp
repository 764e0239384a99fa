#include "harness/health/config_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace tb::health {

std::vector<Check> config_checks(const DeviceConfig& c) {
  std::vector<Check> out;
  if (c.pcie_link_width && c.pcie_link_width_max) {
    Check k = make_check("pcie", Status::Pass, "lanes");
    k.measured = *c.pcie_link_width;
    k.reference = *c.pcie_link_width_max;
    const std::string gen = c.pcie_link_gen && c.pcie_link_gen_max
                                ? fmt::format(", gen {} of {}{}", *c.pcie_link_gen, *c.pcie_link_gen_max,
                                              *c.pcie_link_gen < *c.pcie_link_gen_max ? " (links slow down when idle)" : "")
                                : "";
    if (*c.pcie_link_width < *c.pcie_link_width_max) {
      k.status = Status::Suspect;
      k.detail = fmt::format("PCIe link trained to x{} of x{}{}: reseat the card or check its riser/slot",
                             *c.pcie_link_width, *c.pcie_link_width_max, gen);
    } else {
      k.detail = fmt::format("PCIe link x{} of x{}{}", *c.pcie_link_width, *c.pcie_link_width_max, gen);
    }
    out.push_back(k);
  }
  if (c.power_limit_w && c.default_power_limit_w && *c.default_power_limit_w > 0) {
    Check k = make_check("power_limit", Status::Pass, "W");
    k.measured = *c.power_limit_w;
    k.reference = *c.default_power_limit_w;
    const bool capped = *c.power_limit_w < 0.95 * *c.default_power_limit_w;
    k.status = capped ? Status::Suspect : Status::Pass;
    k.detail = capped ? fmt::format("power limit {:.0f} W is below the board's default {:.0f} W (nvidia-smi -pl): "
                                    "every measurement here is capped",
                                    *c.power_limit_w, *c.default_power_limit_w)
                      : fmt::format("power limit {:.0f} W (default {:.0f} W)", *c.power_limit_w, *c.default_power_limit_w);
    out.push_back(k);
  }
  if (c.ecc_uncorrected_volatile || c.ecc_uncorrected_aggregate) {
    Check k = make_check("ecc", Status::Pass, "errors");
    const uint64_t now = c.ecc_uncorrected_volatile.value_or(0), ever = c.ecc_uncorrected_aggregate.value_or(0);
    k.measured = static_cast<double>(now);
    k.status = now > 0 ? Status::Fail : (ever > 0 ? Status::Suspect : Status::Pass);
    k.detail = now > 0    ? fmt::format("{} uncorrectable ECC errors since the driver loaded: results from this GPU "
                                        "cannot be trusted; drain it",
                                        now)
               : ever > 0 ? fmt::format("{} uncorrectable ECC errors over the board's life (none since the driver "
                                        "loaded): watch it",
                                        ever)
                          : "no uncorrectable ECC errors";
    out.push_back(k);
  }
  if (c.row_remap_failure || c.row_remap_pending) {
    Check k = make_check("row_remap", Status::Pass, "");
    if (c.row_remap_failure.value_or(false)) {
      k.status = Status::Fail;
      k.detail = "a memory row remapping failed: the GPU needs service";
    } else if (c.row_remap_pending.value_or(false)) {
      k.status = Status::Suspect;
      k.detail = "a memory row remapping is pending: reset the GPU to apply it";
    } else {
      k.detail = "no pending or failed row remapping";
    }
    out.push_back(k);
  }
  // Where the driver answered some queries but not these (ECC off, a GPU without row remapping, a
  // container that hides PCIe), say so rather than leave the reader to assume they passed.
  if (!out.empty()) {
    const std::pair<const char*, const char*> checks[] = {{"pcie", "PCIe link width"},
                                                          {"power_limit", "power limit"},
                                                          {"ecc", "uncorrectable ECC errors"},
                                                          {"row_remap", "row remapping"}};
    for (const auto& [id, what] : checks) {
      const bool present = std::any_of(out.begin(), out.end(), [&](const Check& k) { return k.id == id; });
      if (!present) {
        Check k = make_check(id, Status::Info, "");
        k.detail = fmt::format("{} not reported by the driver (unsupported here, or ECC off): not checked", what);
        out.push_back(k);
      }
    }
  }
  return out;
}

}  // namespace tb::health
