#include "cli/run_out_file.hpp"

#include <fmt/format.h>

#include "cli/output_lock_flag.hpp"
#include "harness/results/output_path.hpp"
#include "harness/results/partial_results.hpp"

namespace tb::cli {

namespace {

constexpr const char* kDefaultFlag = "the default results file (--out)";

}  // namespace

RunOutFile claim_run_out_file(const std::string& out_flag, std::string* notes) {
  RunOutFile file;
  if (out_flag.empty()) return file;
  file.out_path = out_flag;
  results::check_output_path(file.out_path, "--out", results::OutputKind::Results);
  file.lock = lock_output_file(file.out_path, "--out", notes);
  return file;
}

void settle_run_out_file(RunOutFile& file, const std::string& default_path, std::string* notes) {
  if (file.out_path.empty()) {
    file.out_path = default_path;
    // results/ is this command's own choice, made here; a folder given with --out must exist.
    results::create_default_output_folder(file.out_path, kDefaultFlag);
    results::check_output_path(file.out_path, kDefaultFlag, results::OutputKind::Results);
    file.lock = lock_output_file(file.out_path, kDefaultFlag, notes);
  }
  // Read under the lock: no other run is changing what the file holds.
  if (const std::string progress = results::progress_path_for(file.out_path); progress != file.out_path) {
    results::check_output_path(progress,
                               fmt::format("--out's partial file (beside {}, an earlier complete run)", file.out_path),
                               results::OutputKind::Results);
    file.partial_path = progress;
  }
}

std::string finish_run_out_file(const RunOutFile& file, const results::RunResults& r, const std::string& written) {
  // Only a complete run supersedes an earlier partial one: an interrupted one may hold fewer kernels.
  if (r.status != "complete" || written != file.out_path) return "";
  const results::StalePartial stale = results::clear_stale_partial(file.out_path, r.machine.utc_time);
  return stale.note.empty() ? "" : fmt::format("trainbench: {}\n", stale.note);
}

}  // namespace tb::cli
