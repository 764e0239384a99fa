#include "harness/compare/regression_json.hpp"

namespace tb::compare {

namespace {

nlohmann::json optional_number(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }
// -1 is the gate's "no noise estimate" (a single sample): null, never a number to plot.
nlohmann::json noise(double v) { return v >= 0 ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

nlohmann::json to_json(const RegressionReport& r) {
  using nlohmann::json;
  json items = json::array();
  for (const auto& i : r.items) {
    // The step has no shape or dtype of its own: null, never "" to match on.
    auto text_or_null = [](const std::string& t) { return t.empty() ? json(nullptr) : json(t); };
    json item = {{"key", i.key},
                 {"name", i.name},
                 {"shape", text_or_null(i.shape)},
                 {"dtype", text_or_null(i.dtype)},
                 {"baseline_ms", i.baseline_ms},
                 {"current_ms", i.current_ms},
                 {"change", i.change},
                 {"rule", i.rule},
                 {"in_family", i.in_family()},
                 {"p_value", optional_number(i.p_value)},
                 {"adjusted_p_value", optional_number(i.adjusted_p_value)},
                 {"smallest_p_value", optional_number(i.smallest_p_value)},
                 {"noise_baseline", noise(i.noise_baseline)},
                 {"noise_current", noise(i.noise_current)},
                 {"verdict", to_string(i.verdict)},
                 {"reason", text_or_null(i.reason)},
                 {"explanation", i.explanation},
                 {"baseline_failed_runs", i.baseline_failed_runs},
                 {"current_failed_runs", i.current_failed_runs},
                 {"baseline_failures", i.baseline_failures},
                 {"current_failures", i.current_failures}};
    if (i.rule == "noise-band") item["bands_apart"] = i.bands_apart;
    if (i.baseline_busbw_gb_s) item["baseline_busbw_gb_s"] = *i.baseline_busbw_gb_s;
    if (i.current_busbw_gb_s) item["current_busbw_gb_s"] = *i.current_busbw_gb_s;
    if (!i.baseline_run_ms.empty()) {
      item["baseline_runs_ms"] = i.baseline_run_ms;
      item["current_runs_ms"] = i.current_run_ms;
    }
    items.push_back(std::move(item));
  }
  json environment = json::array();
  for (const auto& e : r.environment) {
    json change = {{"field", e.field}, {"baseline", e.baseline}, {"current", e.current}};
    if (!e.kernel.empty()) change["kernel"] = e.kernel;
    environment.push_back(std::move(change));
  }
  return {{"verdict", r.verdict()},
          {"exit_code", r.exit_code()},
          {"regressions", r.regressions()},
          {"improvements", r.improvements()},
          {"unjudged", r.unjudged()},
          {"inconclusive_items", r.inconclusive_items()},
          {"missing", r.count(Verdict::Missing)},
          {"new", r.count(Verdict::New)},
          {"still_failing", r.count(Verdict::StillFailing)},
          {"fixed", r.count(Verdict::Fixed)},
          {"baseline", r.baseline_files},
          {"current", r.current_files},
          {"baseline_label", r.baseline_origin},
          {"current_label", r.current_origin},
          {"threshold", r.options.threshold},
          {"threshold_percent", 100.0 * r.options.threshold},
          {"alpha", r.options.alpha},
          {"correction", to_string(r.options.correction)},
          {"family_size", r.family_size},
          {"false_alarms_bounded", r.false_alarms_bounded()},
          {"baseline_runs", r.baseline_runs},
          {"current_runs", r.current_runs},
          {"rules", r.rules_used()},
          {"items", items},
          {"environment", environment},
          {"notes", r.notes}};
}

}  // namespace tb::compare
