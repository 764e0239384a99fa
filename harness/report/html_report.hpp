#pragma once
// `trainbench report`: one self-contained HTML file — Chart.js and the data inlined, nothing
// fetched at view time. A section per kind of results file (report_inputs.hpp): `run` files side
// by side with each run's provenance, per-kernel TFLOP/s against peak, a roofline, the step-time
// breakdown, the SKU comparison and the extrapolation table; a health file's verdict and checks; a
// sweep's shapes and best; comm's nccl-tests table; a gemm or attention file's kernel rows. Or,
// with --baseline, the regression gate's verdict (render_gate_report).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/compare/regression.hpp"
#include "harness/compare/side_by_side.hpp"
#include "harness/report/report_inputs.hpp"

namespace tb::report {

struct ReportOptions {
  std::string title = "trainbench report";
  std::string chartjs_path;            // --chartjs; "" searches (chartjs_source.hpp)
  compare::SideBySideOptions comparison;  // for the runs: target model, GPUs, days, allowed differences
};

// The page's data: {title, side_by_side (report_data of the `run` files, null without any),
// health[], sweeps[], comm[], kernel_files[] (kind_sections.hpp), not_drawn[] (each file's line,
// not_drawn_line), gate (null)}. The runs are refused as `compare` refuses them, but for a partial
// run, drawn under its banner when options.comparison.accept_partial is set (`report`); every
// other file is refused only where it is at odds with itself (results::require_consistent_results).
// Refuses inputs none of which has a section.
nlohmann::json report_page_data(const ReportInputs& inputs, const ReportOptions& options);

// Reads nothing but Chart.js; the files are already loaded (and grouped by kind).
std::string render_html_report(const ReportInputs& inputs, const ReportOptions& options);
std::string render_html_report(const std::vector<compare::LabeledResults>& files, const ReportOptions& options);

// The regression gate's verdict as a page: its JSON (regression_json.hpp, what `compare --baseline
// --json` prints) under `gate`, every other section empty.
std::string render_gate_report(const compare::RegressionReport& gate, const ReportOptions& options);

// Page assembly, exposed for tests: `data_json` is embedded as a JSON script element.
std::string assemble_page(const std::string& title, const std::string& chartjs, const std::string& data_json);

// &, <, >, " and ' as entities.
std::string html_escape(const std::string& text);
// JSON text made safe inside <script type="application/json">: <, > and & as \u escapes.
std::string json_for_script(const std::string& json_text);

}  // namespace tb::report
