// `trainbench report FILES... -o report.html`: one self-contained HTML report with charts, a
// section per kind of results file; or `report --baseline B[,B...] CURRENT... -o gate.html`: the
// regression gate's verdict as a page.
#include <fmt/format.h>

#include <iostream>

#include "cli/command_registry.hpp"
#include "cli/model_flag.hpp"
#include "cli/gate_flags.hpp"
#include "cli/interruption_flags.hpp"
#include "cli/quantity_parse.hpp"
#include "cli/layout_flags.hpp"
#include "cli/price_flags.hpp"
#include "cli/site_flags.hpp"
#include "harness/common/errors.hpp"
#include "harness/compare/multiple_testing.hpp"
#include "harness/compare/regression.hpp"
#include "harness/report/chartjs_source.hpp"
#include "harness/report/html_report.hpp"
#include "harness/results/output_path.hpp"
#include "harness/results/results_io.hpp"

namespace tb::cli {
namespace {

struct ReportFlags {
  std::vector<std::string> files;
  std::string out;
  std::string title = "trainbench report";
  std::string chartjs;
  std::string model;
  std::string tokens;
  int64_t gpus = 1024;
  std::optional<double> days;
  std::string layout;
  std::optional<int64_t> global_batch;
  std::string recompute = "none";
  bool allow_different_shapes = false;
  // --baseline (the regression gate as a page) and the gate's own flags, as compare reads them.
  std::vector<std::string> baseline;
  std::string threshold = "3%";
  std::string alpha = "0.05";
  std::string correction = "holm";
  bool allow_different_device = false;
  PriceFlags prices;
  std::string site;  // --site
  InterruptionFlags interruptions;
};

// The flags only the side-by-side report reads (its extrapolation) and those only the gate reads.
std::vector<std::string> extrapolation_flags() {
  std::vector<std::string> names{"--model", "--tokens", "--gpus", "--days", "--layout", "--global-batch",
                                 "--gpu-hour-price", "--currency", "--recompute", "--pue", "--electricity-price",
                                 "--site"};
  for (const auto& name : interruption_flag_names()) names.push_back(name);
  return names;
}
const std::vector<std::string> kGateFlags{"--threshold", "--alpha", "--correction", "--allow-different-device"};

// The gate as `compare --baseline` runs it (the same entry point, so the same verdict), drawn as a
// page. The page is the product: it is written whatever the verdict, and the exit code says only
// whether it was; the verdict is said on stderr for whoever reads the log.
void run_gate_report(const ReportFlags& f, const CLI::App& cmd) {
  results::check_output_path(f.out, "-o/--out", results::OutputKind::Html, gate_inputs(f.files, f.baseline));
  if (!f.chartjs.empty()) report::check_chartjs_file(f.chartjs, "--chartjs");
  refuse_flags_of_other_mode(cmd, extrapolation_flags(),
                             "only the side-by-side report reads these (its extrapolation); with --baseline (the "
                             "regression gate) they would be ignored: leave them out");
  const std::vector<std::string> baseline = baseline_files(f.baseline);
  compare::RegressionOptions o;
  o.threshold = parse_threshold(f.threshold);
  o.alpha = parse_alpha(f.alpha);
  o.correction = compare::parse_correction(f.correction, "--correction");
  o.compatibility = {f.allow_different_device, f.allow_different_shapes};
  compare::check_regression_options(o);
  refuse_misplaced_baseline(baseline, f.files);
  refuse_a_file_on_both_sides(baseline, f.files);
  std::vector<compare::LabeledResults> baseline_runs, current;
  for (const auto& path : baseline) baseline_runs.push_back({path, results::read_results_file(path)});
  for (const auto& path : f.files) current.push_back({path, results::read_results_file(path)});
  const compare::RegressionReport gate = compare::check_regressions(baseline_runs, current, o);
  report::ReportOptions ro;
  ro.title = f.title;
  ro.chartjs_path = f.chartjs;
  // No lock (cli/output_lock_flag.hpp): one atomic rename of a page computed in memory from files.
  results::write_file_atomic(f.out, report::render_gate_report(gate, ro));
  std::cout << fmt::format("wrote {} (the regression gate: {} baseline and {} current run(s))\n", f.out,
                           gate.baseline_runs, gate.current_runs);
  std::cerr << fmt::format("trainbench report: the gate's verdict: {} ({} regression(s), {} improvement(s), {} "
                           "unjudged); `compare --baseline` would exit {}\n",
                           gate.verdict(), gate.regressions(), gate.improvements(), gate.unjudged(), gate.exit_code());
}

void run_report(const ReportFlags& f, const CLI::App& cmd) {
  if (cmd.get_option("--baseline")->count() > 0) return run_gate_report(f, cmd);
  refuse_flags_of_other_mode(cmd, kGateFlags,
                             "only the regression gate reads these: give --baseline BASE.json CURRENT.json, or leave "
                             "them out");
  refuse_days_with_gpus(cmd.get_option("--days")->count() > 0, cmd.get_option("--gpus")->count() > 0);
  results::check_output_path(f.out, "-o/--out", results::OutputKind::Html, f.files);
  if (!f.chartjs.empty()) report::check_chartjs_file(f.chartjs, "--chartjs");
  if (!f.model.empty()) load_model_flag(f.model);  // refused naming the flag, before the files are read
  std::vector<compare::LabeledResults> files;
  for (const auto& path : f.files) files.push_back({path, results::read_results_file(path)});
  const report::ReportInputs inputs = report::group_by_kind(std::move(files));
  report::ReportOptions o;
  o.title = f.title;
  o.chartjs_path = f.chartjs;
  o.comparison.target_model = f.model;
  if (!f.tokens.empty()) o.comparison.tokens = parse_positive_tokens(f.tokens);
  o.comparison.gpus = f.gpus;
  o.comparison.days = f.days;
  o.comparison.layout_search = parse_layout_flag(f.layout, f.global_batch);
  o.comparison.global_batch = f.global_batch.value_or(0);
  o.comparison.recompute = checked_recompute_flag(f.recompute, o.comparison.layout_search);
  o.comparison.compatibility.allow_different_shapes = f.allow_different_shapes;
  o.comparison.compatibility.allow_different_device = true;  // comparing SKUs is the point
  o.comparison.accept_partial = true;  // drawn from what it measured, under a PARTIAL banner
  apply_price_flags(f.prices, o.comparison);
  o.comparison.site = load_site_flag(f.site);
  o.comparison.interruptions = parse_interruption_flags(f.interruptions);
  // No lock (cli/output_lock_flag.hpp): one atomic rename of a page computed in memory from results
  // files; two reports over one file lose nothing, the later one's rename wins whole.
  results::write_file_atomic(f.out, report::render_html_report(inputs, o));
  for (const auto& file : inputs.not_drawn) std::cerr << "trainbench report: " << report::not_drawn_line(file) << "\n";
  std::cout << fmt::format("wrote {} ({} results file(s){})\n", f.out, f.files.size(),
                           inputs.not_drawn.empty() ? "" : fmt::format(", {} not drawn", inputs.not_drawn.size()));
}

void add_report_command(CLI::App& app) {
  auto flags = std::make_shared<ReportFlags>();
  auto* cmd = app.add_subcommand("report", "Self-contained HTML report with charts from results files (a section per "
                                           "kind: run files side by side, each health, sweep, comm, gemm or "
                                           "attention file in its own, any other kind named and left out), or "
                                           "--baseline B[,B...] CURRENT...: the regression gate's verdict as HTML");
  // The kinds are said in the command's description: this one is also what a missing file asks for.
  cmd->add_option("files", flags->files, "Results files")->required();
  cmd->add_option("-o,--out", flags->out, "HTML file to write")->required();
  cmd->add_option("--title", flags->title, "Report title")->capture_default_str();
  cmd->add_option("--chartjs", flags->chartjs, "Chart.js UMD build to inline (default: $TB_CHARTJS, else Debian's libjs-chart.js)");
  cmd->add_option("--model", flags->model, "Model to extrapolate training for (default: the files' model)");
  cmd->add_option("--tokens", flags->tokens, "Training tokens for the extrapolation (e.g. 2T; default: the model's)");
  cmd->add_option("--gpus", flags->gpus, "GPUs training together, for the extrapolation")->capture_default_str();
  cmd->add_option("--days", flags->days, "Deadline in days: GPUs needed instead of days on --gpus");
  add_layout_flags(cmd, flags->layout, flags->global_batch);
  add_recompute_flag(cmd, flags->recompute);
  cmd->add_flag("--allow-different-shapes", flags->allow_different_shapes,
                "Report `run` files of different models or shapes together (with --baseline: as compare takes it)");
  cmd->add_option("--baseline", flags->baseline,
                  "The regression gate as HTML: the baseline results file, ONE per occurrence (several runs as a "
                  "comma list, or --baseline repeated), as `compare --baseline` takes it; the page shows the verdict "
                  "and every item, and report exits 0 once it is written (the verdict on stderr)")
      ->allow_extra_args(false)
      ->type_name("FILE[,FILE...]")
      ->option_text("FILE[,FILE...]");
  cmd->add_option("--threshold", flags->threshold, "With --baseline: the slowdown that fails, in percent, as compare's")
      ->capture_default_str();
  cmd->add_option("--alpha", flags->alpha, "With --baseline: the level of every p-value rule, as compare's")
      ->capture_default_str();
  cmd->add_option("--correction", flags->correction, "With --baseline: holm or none, as compare's")
      ->capture_default_str();
  cmd->add_flag("--allow-different-device", flags->allow_different_device,
                "With --baseline: compare runs from different devices");
  add_price_flags(cmd, flags->prices);
  add_site_flag(cmd, flags->site, "its PUE and electricity price for every run's energy and its cost, as estimate "
                                  "takes them (--pue and --electricity-price replace them)");
  add_interruption_flags(cmd, flags->interruptions);
  cmd->callback([flags, cmd] { run_report(*flags, *cmd); });
}

const Registration registration{"report", 55, add_report_command};

}  // namespace
}  // namespace tb::cli
