#include "cli/output_lock_flag.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "harness/common/errors.hpp"
#include "harness/results/output_path.hpp"
#include "harness/runner/gbench_runner.hpp"
#include "harness/runner/machine_info.hpp"

namespace tb::cli {

results::OutputLock lock_output_file(const std::string& path, const std::string& flag, std::string* notes) {
  if (path.empty()) return {};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return results::OutputLock::acquire(path, flag, host, runner::utc_now_iso8601(), notes);
}

results::OutputLock lock_benchmark_out(const std::vector<std::string>& gbench_args, const std::string& out,
                                       std::string* notes) {
  const std::string bench_out = runner::gbench_flag_value(gbench_args, "out");
  if (!bench_out.empty() && !out.empty() && results::same_file(bench_out, out))
    throw UsageError(fmt::format("--benchmark_out {} is --out's file too: Google Benchmark's JSON would replace the "
                                 "results file (or it the JSON); give each its own file",
                                 bench_out));
  return lock_output_file(bench_out, "--benchmark_out", notes);
}

}  // namespace tb::cli
