#include "cli/output_lock_flag.hpp"

#include <unistd.h>

#include "harness/runner/machine_info.hpp"

namespace tb::cli {

results::OutputLock lock_output_file(const std::string& path, const std::string& flag, std::string* notes) {
  if (path.empty()) return {};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return results::OutputLock::acquire(path, flag, host, runner::utc_now_iso8601(), notes);
}

}  // namespace tb::cli
