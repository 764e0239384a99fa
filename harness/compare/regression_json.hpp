#pragma once
// The regression gate's verdict as one JSON object, for dashboards and bots: what
// `trainbench compare --baseline B.json C.json --json` prints.
#include <nlohmann/json.hpp>

#include "harness/compare/regression.hpp"

namespace tb::compare {

// {verdict: "regression"|"inconclusive"|"no_regression", exit_code (1, 2, 0: what the command
//  exits with), regressions, improvements, unjudged (items not judged), inconclusive_items (those
//  the measurements left unjudged), baseline, current (each side's files, arrays of paths),
//  baseline_label, current_label (the same for display), threshold (a fraction),
//  threshold_percent, alpha, correction: "holm"|"none", family_size (items judged by a p-value,
//  adjusted together), baseline_runs, current_runs, rules (those used),
//  items: [{key, name, shape, dtype (null for the step), baseline_ms, current_ms, change, rule,
//  in_family, p_value, adjusted_p_value, smallest_p_value (null where the rule has no p),
//  noise_baseline, noise_current (relative standard errors, null where unknown), bands_apart
//  (noise-band rule), baseline_runs_ms and current_runs_ms (where the runs decide), verdict:
//  "same"|"faster"|"slower"|"unjudged"|"failed", reason (why unjudged or how it failed, else null),
//  explanation}],
//  environment: [{field, baseline, current, kernel (for "algorithm")}], notes}
// docs/compare-json.md documents every field (a test holds it to this writer).
nlohmann::json to_json(const RegressionReport& report);

}  // namespace tb::compare
