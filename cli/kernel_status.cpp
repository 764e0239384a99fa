#include "cli/kernel_status.hpp"

#include <fmt/format.h>

#include "cli/command_registry.hpp"
#include "harness/common/errors.hpp"
#include "harness/runner/interrupt.hpp"

namespace tb::cli {

void fail_on_status(const results::KernelResult& r, const std::string& what, const std::string& size_flags) {
  if (r.status == "ok" || r.status == "skipped") return;
  if (r.status == "interrupted") {
    // Ctrl-C (or a scheduler's SIGTERM) is no failure: the shell's 128 + the signal, like `run`.
    fmt::print(stderr, "trainbench: {} {} {} interrupted ({})\n", what, r.shape, r.dtype, r.error);
    set_exit_code(runner::interrupted_exit_code());
    return;
  }
  const std::string which = fmt::format("{} {} {}", what, r.shape, r.dtype);
  if (r.status == "oom") throw UsageError(fmt::format("{}: {} does not fit: {}", size_flags, which, r.error));
  if (r.status == "failed" && r.error.find("verification") != std::string::npos)
    throw RuntimeError(fmt::format("{}: WRONG RESULT: {}", which, r.error));
  throw RuntimeError(fmt::format("{}: {}: {}", which, r.status, r.error));
}

}  // namespace tb::cli
