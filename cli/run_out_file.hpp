#pragma once
// `run`'s --out from start to end: the path checked, the lock taken (one run per file at a time:
// harness/results/output_lock.hpp), where the writes before the end go (beside an earlier complete
// run: harness/results/partial_results.hpp), and, at a complete end, an older partial file cleared.
#include <string>

#include "harness/results/output_lock.hpp"
#include "harness/results/run_results.hpp"

namespace tb::cli {

struct RunOutFile {
  std::string out_path;      // "" until settled where no --out was given
  std::string partial_path;  // "" where the run writes out_path in place
  results::OutputLock lock;  // held until the run ends; its file removed then
};

// First thing, before anything is measured (the CPU backend measures its bandwidth peak before the
// step, which would disturb the timings of a run already writing this file): an --out given
// (`out_flag`, "" for none) is checked and locked. Usage errors for a path no run may write; a
// RuntimeError where another run holds the lock. A lock that cannot be taken is a note in `*notes`.
RunOutFile claim_run_out_file(const std::string& out_flag, std::string* notes);

// Once the default path can be named (it holds the device and the start time): with no --out,
// that path's folder made, the path checked and locked; then where the writes before the end go.
void settle_run_out_file(RunOutFile& file, const std::string& default_path, std::string* notes);

// After the run: the line for stderr (with its newline) where a run that ended complete in
// out_path removed or kept a partial file of an earlier run beside it; "" otherwise.
std::string finish_run_out_file(const RunOutFile& file, const results::RunResults& r, const std::string& written);

}  // namespace tb::cli
