#pragma once
// The numbers behind the HTML report's charts and tables, as one JSON object that the page's
// script reads. Kept apart from the HTML so tests can check the numbers without a browser.
#include <nlohmann/json.hpp>
#include <string>

#include "harness/compare/side_by_side.hpp"

namespace tb::report {

// Kernel groups of the step-time breakdown, from the results' kind string.
std::string kernel_group(const std::string& kind);

// {title, target_model, runs[...], kernels[...], groups[...], best, ...}: per run its label,
// device, peaks (TFLOP/s, TB/s), step, extrapolation (estimate's names and objects) and step ms
// per group; per kernel its arithmetic intensity (FLOP/byte) and per-run median, TFLOP/s, % of
// peak. Also what `compare --json` prints; every key is in docs/compare-json.md.
nlohmann::json report_data(const compare::SideBySide& comparison, const std::string& title);

}  // namespace tb::report
