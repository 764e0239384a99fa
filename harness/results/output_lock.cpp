#include "harness/results/output_lock.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "harness/common/errors.hpp"

namespace tb::results {

namespace {

// Whether `fd` is still the file at `path`: a holder removes its lock file just before it lets go,
// so a process that opened the old file a moment earlier can take a lock nobody else will see.
bool is_file_at(int fd, const std::string& path) {
  struct stat by_fd {}, by_path {};
  return ::fstat(fd, &by_fd) == 0 && ::stat(path.c_str(), &by_path) == 0 && by_fd.st_dev == by_path.st_dev &&
         by_fd.st_ino == by_path.st_ino;
}

std::string read_fd(int fd) {
  std::string text;
  char buf[512];
  off_t at = 0;
  for (ssize_t n; (n = ::pread(fd, buf, sizeof buf, at)) > 0 && text.size() < 4096; at += n) text.append(buf, n);
  return text;
}

// "pid 4242 on node1, started 2026-12-07T22:08:05Z", from what the holder wrote: a run writes it
// just after it takes the lock, and a holder other than trainbench (flock(1)) writes nothing.
std::string describe_holder(int fd) {
  const auto j = nlohmann::json::parse(read_fd(fd), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("pid") || !j["pid"].is_number_integer())
    return "its pid and host not recorded";
  std::string who = fmt::format("pid {}", j["pid"].get<long long>());
  if (j.contains("host") && j["host"].is_string() && !j["host"].get<std::string>().empty())
    who += fmt::format(" on {}", j["host"].get<std::string>());
  if (j.contains("started_utc") && j["started_utc"].is_string())
    who += fmt::format(", started {}", j["started_utc"].get<std::string>());
  return who;
}

void record_holder(int fd, const std::string& host, const std::string& started_utc) {
  const std::string text =
      nlohmann::json{{"pid", static_cast<long long>(::getpid())}, {"host", host}, {"started_utc", started_utc}}.dump() +
      "\n";
  // Who holds it is for the message of a run refused; the lock itself does not depend on it.
  if (::ftruncate(fd, 0) != 0) return;
  const ssize_t written = ::pwrite(fd, text.data(), text.size(), 0);
  static_cast<void>(written);
}

// The flag that names another file, from how `flag` names this one: "--out" in "--out (GPU 0's
// file)" and in "the default results file (--out)", "--benchmark_out" in itself.
std::string flag_to_give(const std::string& flag) {
  const size_t at = flag.find("--");
  if (at == std::string::npos) return "--out";
  size_t end = at + 2;
  while (end < flag.size() && (std::isalnum(static_cast<unsigned char>(flag[end])) || flag[end] == '_' || flag[end] == '-'))
    ++end;
  return flag.substr(at, end - at);
}

}  // namespace

std::string lock_path_beside(const std::string& out) { return out + ".lock"; }

OutputLock OutputLock::acquire(const std::string& out, const std::string& flag, const std::string& host,
                               const std::string& started_utc, std::string* note) {
  const std::string path = lock_path_beside(out);
  const auto unlocked = [&](const std::string& why) {
    if (note)
      *note += fmt::format("trainbench: note: {} is not locked ({}: {}); a second run over it at the same time would "
                           "not be stopped\n",
                           out, path, why);
    return OutputLock();
  };
  // A few tries: each one lost only to a holder that removed its file between our open and flock.
  for (int attempt = 0; attempt < 16; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return unlocked(std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      if (error == EWOULDBLOCK) {
        const std::string holder = describe_holder(fd);
        ::close(fd);
        throw RuntimeError(fmt::format(
            "{} {} is being written by another run ({}), which holds {}: two runs over one file would overwrite each "
            "other's records. Let that run end, or give {} another file",
            flag, out, holder, path, flag_to_give(flag)));
      }
      ::close(fd);
      return unlocked(std::strerror(error));
    }
    if (is_file_at(fd, path)) {
      // A file of the user's under that name is neither overwritten nor removed at the end: only an
      // empty file or a run's own record (a killed run's, whose lock the kernel let go) is taken.
      const std::string text = read_fd(fd);
      const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (!text.empty() && !(j.is_object() && j.contains("pid"))) {
        ::close(fd);
        return unlocked("a file trainbench did not write is there; it is left as it is");
      }
      record_holder(fd, host, started_utc);
      OutputLock lock;
      lock.fd_ = fd;
      lock.path_ = path;
      return lock;
    }
    ::close(fd);
  }
  return unlocked("it was removed and created again on every try");
}

OutputLock::OutputLock(OutputLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

OutputLock& OutputLock::operator=(OutputLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

OutputLock::~OutputLock() { release(); }

void OutputLock::release() noexcept {
  if (fd_ < 0) return;
  // Removed before the lock is let go (see is_file_at), and only while it is still ours: a user
  // may have removed it by hand and another run made a new one.
  if (is_file_at(fd_, path_)) ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

}  // namespace tb::results
