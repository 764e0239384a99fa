#include "harness/compare/regression_json.hpp"

namespace tb::compare {

nlohmann::json to_json(const RegressionReport& r) {
  using nlohmann::json;
  json items = json::array();
  for (const auto& i : r.items)
    items.push_back({{"key", i.key},
                     {"baseline_ms", i.baseline_ms},
                     {"current_ms", i.current_ms},
                     {"change", i.change},
                     {"rule", i.rule},
                     {"p_value", i.p_value ? json(*i.p_value) : json(nullptr)},
                     {"verdict", to_string(i.verdict)},
                     {"explanation", i.explanation}});
  json environment = json::array();
  for (const auto& e : r.environment)
    environment.push_back({{"field", e.field}, {"baseline", e.baseline}, {"current", e.current}});
  return {{"verdict", r.regressions() > 0 ? "regression" : "no_regression"},
          {"regressions", r.regressions()},
          {"improvements", r.improvements()},
          {"baseline", r.baseline_origin},
          {"current", r.current_origin},
          {"threshold", r.options.threshold},
          {"alpha", r.options.alpha},
          {"baseline_runs", r.baseline_runs},
          {"current_runs", r.current_runs},
          {"items", items},
          {"environment", environment},
          {"notes", r.notes}};
}

}  // namespace tb::compare
