#include "harness/results/output_path.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <filesystem>

#include "harness/common/errors.hpp"

namespace tb::results {

namespace fs = std::filesystem;

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec1, ec2;
  if (fs::exists(a, ec1) && fs::exists(b, ec2)) {
    std::error_code ec;
    const bool same = fs::equivalent(a, b, ec);
    if (!ec) return same;
  }
  std::error_code ec;
  const fs::path ca = fs::weakly_canonical(a, ec);
  if (ec) return fs::path(a).lexically_normal() == fs::path(b).lexically_normal();
  const fs::path cb = fs::weakly_canonical(b, ec);
  if (ec) return fs::path(a).lexically_normal() == fs::path(b).lexically_normal();
  return ca == cb;
}

void check_output_path(const std::string& path, const std::string& flag, const std::vector<std::string>& inputs) {
  if (path.empty()) throw UsageError(fmt::format("{}: the output path is empty; give a file name", flag));
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::is_directory(st))
    throw UsageError(fmt::format("{} {}: is a directory; give a file path inside it", flag, path));
  if (fs::exists(st) && !fs::is_regular_file(st))
    throw UsageError(fmt::format("{} {}: exists and is not a regular file; give a file path", flag, path));
  for (const auto& in : inputs)
    if (same_file(path, in))
      throw UsageError(fmt::format("{} {}: is also an input of this command ({}); writing would overwrite it; "
                                   "give another file",
                                   flag, path, in));
  // The nearest existing ancestor must be a writable directory: write_file_atomic creates the
  // rest and writes a temporary file beside the target.
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  while (!fs::exists(parent, ec) && parent.has_parent_path() && parent != parent.parent_path())
    parent = parent.parent_path();
  if (!fs::exists(parent, ec)) parent = ".";
  if (!fs::is_directory(parent, ec))
    throw UsageError(fmt::format("{} {}: {} is not a directory", flag, path, parent.string()));
  // access() says yes to root everywhere (/proc included): create and remove a file instead, as
  // write_file_atomic will.
  // mkstemp picks a name no other process holds (ranks of one job on a shared filesystem included).
  std::string probe = (parent / ".trainbench-write-test-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0)
    throw UsageError(fmt::format("{} {}: directory {} is not writable ({})", flag, path, parent.string(),
                                 std::strerror(errno)));
  ::close(fd);
  if (::unlink(probe.c_str()) != 0)
    throw UsageError(fmt::format("{} {}: directory {} lets files be created but not removed ({}): the atomic write "
                                 "renames a temporary file over the target there; give another directory",
                                 flag, path, parent.string(), std::strerror(errno)));
}

}  // namespace tb::results
