#pragma once
// The regression gate's verdict as one JSON object, for dashboards and bots: what
// `trainbench compare --baseline B.json C.json --json` prints.
#include <nlohmann/json.hpp>

#include "harness/compare/regression.hpp"

namespace tb::compare {

// {verdict: "regression"|"no_regression", regressions, improvements, baseline, current, threshold,
//  alpha, items: [{key, baseline_ms, current_ms, change, rule, p_value, verdict, explanation}],
//  environment: [{field, baseline, current}], notes: [...]}
nlohmann::json to_json(const RegressionReport& report);

}  // namespace tb::compare
