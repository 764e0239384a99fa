#include "harness/results/output_path.hpp"

#include <fmt/format.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <filesystem>

#include "harness/common/errors.hpp"

namespace tb::results {

namespace fs = std::filesystem;

fs::path output_folder(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

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

std::string why_not_creatable(const std::string& folder, int error) {
  // The folder exists (checked first), so ENOENT is the filesystem refusing a new name: procfs
  // does (as root too), and strerror's "No such file or directory" would send the user looking
  // for a missing folder.
  if (error != ENOENT) return std::strerror(error);
  struct statfs fs_info {};
  if (::statfs(folder.c_str(), &fs_info) == 0) {
    if (fs_info.f_type == PROC_SUPER_MAGIC)
      return "it is in procfs, the kernel's process filesystem, which takes no new files";
    if (fs_info.f_type == SYSFS_MAGIC) return "it is in sysfs, the kernel's device filesystem, which takes no new files";
  }
  return "its filesystem takes no new files there";
}

void check_output_path(const std::string& path, const std::string& flag, OutputKind kind,
                       const std::vector<std::string>& inputs) {
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
  if (fs::is_regular_file(st))
    if (const std::string refusal = replacement_refusal(path, flag, kind); !refusal.empty()) throw UsageError(refusal);
  // The folder must exist already: a typo in it (`--out reslts/run.json`) would otherwise become a
  // new folder, found only after minutes of measuring, if at all. Nothing is created here.
  const fs::path parent = output_folder(path);
  const fs::file_status folder = fs::status(parent, ec);
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    throw UsageError(fmt::format("{} {}: folder {} cannot be examined ({})", flag, path, parent.string(), ec.message()));
  if (!fs::exists(folder))
    throw UsageError(fmt::format("{} {}: folder {} does not exist (trainbench creates no folder for an output): "
                                 "create it first (mkdir -p {}) or give a path in an existing folder",
                                 flag, path, parent.string(), parent.string()));
  if (!fs::is_directory(folder))
    throw UsageError(fmt::format("{} {}: {} is not a directory", flag, path, parent.string()));
  // access() says yes to root everywhere (/proc included): create and remove a file instead, as
  // write_file_atomic will.
  // mkstemp picks a name no other process holds (ranks of one job on a shared filesystem included).
  std::string probe = (parent / ".trainbench-write-test-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0)
    throw UsageError(fmt::format("{} {}: directory {} is not writable ({})", flag, path, parent.string(),
                                 why_not_creatable(parent.string(), errno)));
  ::close(fd);
  if (::unlink(probe.c_str()) != 0)
    throw UsageError(fmt::format("{} {}: directory {} lets files be created but not removed ({}): the atomic write "
                                 "renames a temporary file over the target there; give another directory",
                                 flag, path, parent.string(), std::strerror(errno)));
}

void create_default_output_folder(const std::string& path, const std::string& flag) {
  std::error_code ec;
  const fs::path parent = output_folder(path);
  fs::create_directories(parent, ec);
  if (ec)
    throw UsageError(fmt::format("{} {}: cannot create the default folder {} ({}); give --out FILE in an existing, "
                                 "writable folder",
                                 flag, path, parent.string(), ec.message()));
}

}  // namespace tb::results
