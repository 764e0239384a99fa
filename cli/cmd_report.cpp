// `trainbench report FILES... -o report.html`: one self-contained HTML report with charts.
#include <fmt/format.h>

#include <iostream>

#include "cli/command_registry.hpp"
#include "cli/interruption_flags.hpp"
#include "cli/quantity_parse.hpp"
#include "cli/layout_flags.hpp"
#include "cli/price_flags.hpp"
#include "cli/site_flags.hpp"
#include "harness/common/errors.hpp"
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
  PriceFlags prices;
  std::string site;  // --site
  InterruptionFlags interruptions;
};

void run_report(const ReportFlags& f) {
  results::check_output_path(f.out, "-o/--out", results::OutputKind::Html, f.files);
  if (!f.chartjs.empty()) report::check_chartjs_file(f.chartjs, "--chartjs");
  std::vector<compare::LabeledResults> runs;
  for (const auto& path : f.files) runs.push_back({path, results::read_results_file(path)});
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
  results::write_file_atomic(f.out, report::render_html_report(runs, o));
  std::cout << fmt::format("wrote {} ({} results file(s))\n", f.out, runs.size());
}

void add_report_command(CLI::App& app) {
  auto flags = std::make_shared<ReportFlags>();
  auto* cmd = app.add_subcommand("report", "Self-contained HTML report with charts from results files");
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
                "Report runs of different models or shapes together");
  add_price_flags(cmd, flags->prices);
  add_site_flag(cmd, flags->site, "its PUE and electricity price for every run's energy and its cost, as estimate "
                                  "takes them (--pue and --electricity-price replace them)");
  add_interruption_flags(cmd, flags->interruptions);
  cmd->callback([flags, cmd] {
    refuse_days_with_gpus(cmd->get_option("--days")->count() > 0, cmd->get_option("--gpus")->count() > 0);
    run_report(*flags);
  });
}

const Registration registration{"report", 55, add_report_command};

}  // namespace
}  // namespace tb::cli
