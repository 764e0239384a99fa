// `trainbench export --format gbench FILE.json [-o OUT]`: results in another tool's format.
#include <fmt/format.h>

#include <iostream>

#include "cli/command_registry.hpp"
#include "harness/common/errors.hpp"
#include "harness/export/gbench_export.hpp"
#include "harness/results/output_path.hpp"
#include "harness/results/results_io.hpp"

namespace tb::cli {
namespace {

struct ExportFlags {
  std::string format = "gbench";  // the one format so far
  std::string file;
  std::string out;
};

void run_export(const ExportFlags& f) {
  if (f.format != "gbench")
    throw UsageError(fmt::format("--format '{}' is not an export format; accepted values: gbench", f.format));
  const bool to_file = !f.out.empty() && f.out != "-";
  if (to_file) results::check_output_path(f.out, "-o/--out", results::OutputKind::GbenchJson, {f.file});
  const auto results = results::read_results_file(f.file);
  std::vector<std::string> left_out;
  const std::string text = exporting::to_gbench_json(results, f.file, &left_out).dump(2) + "\n";
  if (!to_file) std::cout << text;
  // No lock (cli/output_lock_flag.hpp): one atomic rename of a file computed in memory from a
  // results file; two exports over one file lose nothing, the later one's rename wins whole.
  else results::write_file_atomic(f.out, text);
  // What did not measure cleanly is no benchmark entry (dashboards would plot it as 0 ms): it is
  // said here, and the exit status says a nightly job has something to look at.
  if (!left_out.empty()) {
    fmt::print(stderr, "trainbench: {}: {} left out of the export (not measured cleanly):\n", f.file, left_out.size());
    for (const auto& line : left_out) fmt::print(stderr, "  {}\n", line);
    set_exit_code(kExitRuntime);
  }
}

void add_export_command(CLI::App& app) {
  auto flags = std::make_shared<ExportFlags>();
  auto* cmd = app.add_subcommand("export", "Results as Google Benchmark JSON (github-action-benchmark, Bencher)");
  cmd->add_option("--format", flags->format, "Export format: gbench")->capture_default_str();
  cmd->add_option("file", flags->file, "Results file")->required();
  cmd->add_option("-o,--out", flags->out, "Output file (default: standard output)");
  cmd->callback([flags] { run_export(*flags); });
}

const Registration registration{"export", 60, add_export_command};

}  // namespace
}  // namespace tb::cli
