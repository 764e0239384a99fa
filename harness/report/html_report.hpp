#pragma once
// `trainbench report`: one self-contained HTML file — Chart.js and the data inlined, nothing
// fetched at view time — with each run's provenance, per-kernel TFLOP/s against peak, a roofline,
// the step-time breakdown, the SKU comparison and the extrapolation table.
#include <string>
#include <vector>

#include "harness/compare/side_by_side.hpp"

namespace tb::report {

struct ReportOptions {
  std::string title = "trainbench report";
  std::string chartjs_path;            // --chartjs; "" searches (chartjs_source.hpp)
  compare::SideBySideOptions comparison;  // target model, GPUs, days, allowed differences
};

// Reads nothing but Chart.js; the runs are already loaded. Refuses what `compare` refuses, but for
// a partial run, drawn under its banner when options.comparison.accept_partial is set (`report`).
std::string render_html_report(const std::vector<compare::LabeledResults>& runs, const ReportOptions& options);

// Page assembly, exposed for tests: `data_json` is embedded as a JSON script element.
std::string assemble_page(const std::string& title, const std::string& chartjs, const std::string& data_json);

// &, <, >, " and ' as entities.
std::string html_escape(const std::string& text);
// JSON text made safe inside <script type="application/json">: <, > and & as \u escapes.
std::string json_for_script(const std::string& json_text);

}  // namespace tb::report
