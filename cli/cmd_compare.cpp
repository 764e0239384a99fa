// `trainbench compare`: results files side by side (procurement), or a baseline against a
// current run (nightly CI: exit 1 on a regression beyond threshold and noise).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iostream>

#include "cli/command_registry.hpp"
#include "cli/model_flag.hpp"
#include "cli/gate_flags.hpp"
#include "cli/interruption_flags.hpp"
#include "cli/layout_flags.hpp"
#include "cli/price_flags.hpp"
#include "cli/site_flags.hpp"
#include "cli/quantity_parse.hpp"
#include "harness/common/errors.hpp"
#include "harness/compare/comm_side_by_side.hpp"
#include "harness/compare/format.hpp"
#include "harness/compare/gate_error.hpp"
#include "harness/compare/junit.hpp"
#include "harness/compare/regression.hpp"
#include "harness/compare/regression_json.hpp"
#include "harness/report/report_data.hpp"
#include "harness/compare/side_by_side.hpp"
#include "harness/results/output_path.hpp"
#include "harness/results/results_io.hpp"

namespace tb::cli {
namespace {

struct CompareFlags {
  std::vector<std::string> files;
  std::vector<std::string> baseline;  // one or more runs (--baseline repeated, or A.json,B.json)
  std::string threshold = "3%";
  std::string alpha = "0.05";
  std::string correction = "holm";
  std::string junit;
  std::string format = "text";
  std::string model;
  std::string tokens;
  int64_t gpus = 1024;
  std::optional<double> days;
  std::string layout;
  std::optional<int64_t> global_batch;
  std::string recompute = "none";
  PriceFlags prices;
  std::string site;  // --site
  InterruptionFlags interruptions;
  bool json = false;
  bool allow_different_device = false;
  bool allow_different_shapes = false;
};

// What compare takes, said alike whether no file or too few were given: two or more side by side,
// one or more current runs after --baseline.
void require_enough_files(const std::vector<std::string>& files, bool gate) {
  const std::string both = "give two or more results files to set side by side (trainbench compare A.json B.json "
                           "...), or --baseline BASE.json and one or more current runs' files to gate them "
                           "(trainbench compare --baseline BASE.json CURRENT.json ...)";
  if (gate && files.empty())
    throw UsageError("compare --baseline: give the current run's results file(s) after the baseline: trainbench "
                     "compare --baseline BASE.json CURRENT.json ...");
  if (!gate && files.empty()) throw UsageError("compare: " + both);
  if (!gate && files.size() == 1)
    throw UsageError(fmt::format("compare: one results file ({}) has nothing to compare with: {}", files[0], both));
}

// The flags of the side-by-side training extrapolation (--site aside: comm files read its network).
std::vector<std::string> training_extrapolation_flags() {
  std::vector<std::string> flags{"--model",          "--tokens",   "--gpus",      "--days", "--layout", "--global-batch",
                                 "--gpu-hour-price", "--currency", "--recompute", "--pue",  "--electricity-price"};
  for (const auto& name : interruption_flag_names()) flags.push_back(name);
  return flags;
}

compare::LabeledResults load(const std::string& path) { return {path, results::read_results_file(path)}; }

// In the gate, a file that cannot be read is its own kind of refusal (`error_kind` "unreadable"):
// a nightly job re-runs a night whose file is missing or truncated, and fixes a command line.
compare::LabeledResults load_for_gate(const std::string& path) {
  try {
    return load(path);
  } catch (const UsageError& e) {
    throw compare::GateRefusal(compare::GateErrorKind::Unreadable, e.what());
  }
}

// The regression gate. Every refusal answers in the formats asked for (docs/compare.md): a nightly
// job reads a verdict, not an empty stdout, and last night's JUnit file must not stand for
// tonight's. Where the --junit path itself is refused, the JSON still answers.
void run_gate(const CompareFlags& f, const CLI::App& cmd) {
  std::string junit;  // the JUnit path, once it is known to be a writable place
  compare::RegressionReport report;
  compare::TableFormat format = compare::TableFormat::Text;
  try {
    require_enough_files(f.files, /*gate=*/true);
    // Checked first, against every input however --baseline's values split, so that every later
    // refusal is written to it too.
    const std::vector<std::string> inputs = gate_inputs(f.files, f.baseline);
    if (!f.junit.empty() || cmd.get_option("--junit")->count() > 0) {
      results::check_output_path(f.junit, "--junit", results::OutputKind::JUnitXml, inputs);
      junit = f.junit;
    }
    const std::vector<std::string> baseline = baseline_files(f.baseline);
    if (f.json && f.format != "text") throw UsageError("--json and --format both choose what stdout prints; give one");
    format = compare::parse_table_format(f.format, "--format");
    std::vector<std::string> extrapolation_flags = training_extrapolation_flags();
    extrapolation_flags.push_back("--site");
    refuse_flags_of_other_mode(cmd, extrapolation_flags,
                               "only the side-by-side comparison reads these (its extrapolation); with --baseline "
                               "(the regression gate) they would be ignored: leave them out");
    compare::RegressionOptions o;
    o.threshold = parse_threshold(f.threshold);
    o.alpha = parse_alpha(f.alpha);
    o.correction = compare::parse_correction(f.correction, "--correction");
    o.compatibility = {f.allow_different_device, f.allow_different_shapes};
    compare::check_regression_options(o);  // before minutes of reading files
    refuse_misplaced_baseline(baseline, f.files);
    refuse_a_file_on_both_sides(baseline, f.files);
    std::vector<compare::LabeledResults> baseline_runs, current;
    for (const auto& path : baseline) baseline_runs.push_back(load_for_gate(path));
    for (const auto& path : f.files) current.push_back(load_for_gate(path));
    report = compare::check_regressions(baseline_runs, current, o);
    // The JUnit file first: where it cannot be written (a runtime error, exit 1), stdout says
    // "error", not the verdict of a report half delivered.
    // No lock (cli/output_lock_flag.hpp): one atomic rename of XML computed in memory from results
    // files; two gates over one --junit lose nothing, the later one's rename wins whole.
    if (!junit.empty()) results::write_file_atomic(junit, compare::junit_xml(report));
  } catch (const std::exception& e) {
    const compare::GateErrorKind kind = compare::error_kind(e);
    if (f.json)
      std::cout << nlohmann::json{{"verdict", "error"}, {"error", e.what()},
                                  {"error_kind", compare::to_string(kind)}, {"exit_code", compare::exit_code(kind)}}
                       .dump(2)
                << "\n";
    if (!junit.empty()) {
      try {
        results::write_file_atomic(junit, compare::junit_error_xml(e.what(), compare::to_string(kind)));
      } catch (const std::exception& junit_error) {
        // The gate's own error is the one to exit with; the JUnit one is said beside it.
        std::cerr << "trainbench compare: also could not write the JUnit error: " << junit_error.what() << "\n";
      }
    }
    throw;
  }
  if (f.json) std::cout << compare::to_json(report).dump(2) << "\n";
  else std::cout << compare::format_regressions(report, format);
  // 1 on a regression; 3 where no item is slower but some could not be judged (inconclusive).
  if (report.exit_code() != kExitOk) set_exit_code(report.exit_code());
}

// Interconnects side by side: busbw per collective and size, no training extrapolation.
void compare_comm_files(const CompareFlags& f, const CLI::App& cmd, const std::vector<compare::LabeledResults>& runs) {
  std::vector<std::string> refused = training_extrapolation_flags();
  refused.push_back("--allow-different-shapes");
  refuse_flags_of_other_mode(cmd, refused,
                             "comm files have no training step to extrapolate, and every collective and size either "
                             "file measured is shown (--site alone applies: its network is the inter-node link); "
                             "leave them out");
  if (f.json && f.format != "text") throw UsageError("--json and --format both choose what stdout prints; give one");
  const compare::CommSideBySide side = compare::build_comm_side_by_side(runs, load_site_flag(f.site));
  if (f.json) std::cout << compare::comm_side_by_side_json(side).dump(2) << "\n";
  else std::cout << compare::format_comm_side_by_side(side, compare::parse_table_format(f.format, "--format"));
}

void run_compare(const CompareFlags& f, const CLI::App& cmd) {
  if (cmd.get_option("--baseline")->count() > 0) return run_gate(f, cmd);
  refuse_days_with_gpus(cmd.get_option("--days")->count() > 0, cmd.get_option("--gpus")->count() > 0);
  const auto format = compare::parse_table_format(f.format, "--format");
  compare::CompatibilityOptions compat{f.allow_different_device, f.allow_different_shapes};
  if (cmd.get_option("--junit")->count() > 0) throw UsageError("--junit needs --baseline BASE.json (it reports regressions)");
  // Side by side, different devices are the point and are never refused: the override has
  // nothing to override, and a flag left without effect must say so (docs/compare.md).
  refuse_flags_of_other_mode(cmd, {"--threshold", "--alpha", "--correction", "--allow-different-device"},
                             "only the regression gate reads these: give --baseline BASE.json CURRENT.json, or leave "
                             "them out");
  require_enough_files(f.files, /*gate=*/false);
  if (!f.model.empty()) load_model_flag(f.model);  // refused naming the flag, before the files are read
  std::vector<compare::LabeledResults> runs;
  for (const auto& path : f.files) runs.push_back(load(path));
  compare::require_one_kind(runs);
  if (compare::is_comm_file(runs.front())) return compare_comm_files(f, cmd, runs);
  compare::SideBySideOptions o;
  o.target_model = f.model;
  if (!f.tokens.empty()) o.tokens = parse_positive_tokens(f.tokens);
  o.gpus = f.gpus;
  o.days = f.days;
  o.layout_search = parse_layout_flag(f.layout, f.global_batch);
  o.global_batch = f.global_batch.value_or(0);
  o.recompute = checked_recompute_flag(f.recompute, o.layout_search);
  o.compatibility = compat;
  apply_price_flags(f.prices, o);
  o.site = load_site_flag(f.site);
  o.interruptions = parse_interruption_flags(f.interruptions);
  if (f.json && f.format != "text") throw UsageError("--json and --format both choose what stdout prints; give one");
  const compare::SideBySide side = compare::build_side_by_side(runs, o);
  // The same numbers the HTML report draws (harness/report/report_data.hpp), for scripts.
  if (f.json) std::cout << report::report_data(side, "trainbench compare").dump(2) << "\n";
  else std::cout << compare::format_side_by_side(side, format);
}

void add_compare_command(CLI::App& app) {
  auto flags = std::make_shared<CompareFlags>();
  auto* cmd = app.add_subcommand(
      "compare", "Results side by side (A.json B.json ...), or --baseline BASE.json CURRENT.json: exit 1 on "
                 "regression, 3 inconclusive, 2 refused input");
  // Not required here: how many it takes depends on --baseline, said by require_enough_files.
  cmd->add_option("files", flags->files, "Results files (with --baseline: the current run, or several runs of it)");
  cmd->add_option("--baseline", flags->baseline,
                  "Regression mode: the baseline results file, ONE per occurrence: several runs as a comma list "
                  "(--baseline b1.json,b2.json,b3.json; a value that is itself a file is not split) or --baseline "
                  "repeated; not a directory; every other file is a current run "
                  "(one baseline file beside several current ones is refused: a glob after --baseline). With 3 or more runs a side the "
                  "runs decide, not the samples within one (7 a side let a `run` file's 25 items fail at --alpha "
                  "0.05 under Holm); with 3 or more baseline runs and 1 or 2 current, tonight's runs are ranked "
                  "among the baseline's. A file is one run, whatever its --benchmark_repetitions")
      // Split in baseline_files, not by CLI11: a file whose name has a comma is one file.
      ->allow_extra_args(false)
      ->type_name("FILE[,FILE...]")
      // One FILE per occurrence: not CLI11's "TEXT ...", which reads as a space-separated list.
      ->option_text("FILE[,FILE...]");
  cmd->add_option("--threshold", flags->threshold,
                  "Regression: slowdown of the median that fails, in percent (3% or 3; a bare number below 1 is "
                  "refused as ambiguous: write 0.5%)")
      ->capture_default_str();
  cmd->add_option("--alpha", flags->alpha,
                  "Regression: the level of every p-value rule (the U test on samples or on the runs' medians, run "
                  "ranges, the rank among baseline runs), a number in (0, 0.5]; with --correction holm and the runs deciding (3 or more a side) "
                  "the chance of any false alarm in the job (within-run samples bound none)")
      ->capture_default_str();
  cmd->add_option("--correction", flags->correction,
                  "Regression: multiple comparisons over the items judged by a p-value: holm (Holm-Bonferroni: the "
                  "job's false-alarm chance held to --alpha where the runs decide) or none (each item at --alpha: false alarms grow with "
                  "the number of kernels)")
      ->capture_default_str();
  cmd->add_option("--junit", flags->junit, "Regression: write JUnit XML to this file");
  cmd->add_option("--format", flags->format, "Output: text or markdown (for CI comments)")->capture_default_str();
  cmd->add_flag("--json", flags->json,
                "Print one JSON object: with --baseline the verdict and every item; side by side the runs, kernels, "
                "extrapolations and winners (the HTML report's data)");
  cmd->add_option("--model", flags->model, "Model to extrapolate training for (default: the files' model)");
  cmd->add_option("--tokens", flags->tokens, "Training tokens for the extrapolation (e.g. 2T; default: the model's)");
  cmd->add_option("--gpus", flags->gpus, "GPUs training together, for the extrapolation")->capture_default_str();
  cmd->add_option("--days", flags->days, "Deadline in days: GPUs needed instead of days on --gpus");
  add_layout_flags(cmd, flags->layout, flags->global_batch);
  add_recompute_flag(cmd, flags->recompute);
  add_price_flags(cmd, flags->prices);
  add_site_flag(cmd, flags->site, "its PUE and electricity price for every run's energy and its cost, as estimate "
                                  "takes them (--pue and --electricity-price replace them)");
  add_interruption_flags(cmd, flags->interruptions);
  cmd->add_flag("--allow-different-device", flags->allow_different_device,
                "Regression: compare runs from different devices");
  cmd->add_flag("--allow-different-shapes", flags->allow_different_shapes,
                "Compare runs of different models or shapes (only kernels with equal name, shape and dtype match)");
  cmd->callback([flags, cmd] { run_compare(*flags, *cmd); });
}

const Registration registration{"compare", 50, add_compare_command};

}  // namespace
}  // namespace tb::cli
