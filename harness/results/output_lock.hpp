#pragma once
// One run per results file at a time. Two `run`s over one --out (two shells, a nightly job started
// twice) would both write it and its partial file, each replacing the other's records; so a run
// (and every other command that measures into a file: cli/output_lock_flag.hpp) holds an advisory
// lock, flock(2) on a file beside its --out (keep.json: keep.json.lock), and a second refuses
// before it measures anything. The kernel drops a flock when its holder exits, by
// any path (a crash, SIGKILL), so a lock file left behind blocks no later run: the file is only
// where the lock lives and who holds it, never the lock itself. Linux (POSIX flock) only.
#include <string>

namespace tb::results {

// "keep.json" -> "keep.json.lock": the lock file beside `out`.
std::string lock_path_beside(const std::string& out);

class OutputLock {
 public:
  // Takes the lock on `out` for this process and writes who holds it (this pid, `host`, and
  // `started_utc`) into the lock file. Throws RuntimeError where another process holds it, naming
  // `flag`, `out`, the lock file and that process (pid, host, start), and the flag to give another
  // file with (the one `flag` names: "--out" in "the default results file (--out)"). Where the lock cannot be
  // taken for another reason (no lock file can be created, a filesystem without locks), the run
  // goes on unlocked and `*note` says so in one line ending in a newline.
  static OutputLock acquire(const std::string& out, const std::string& flag, const std::string& host,
                            const std::string& started_utc, std::string* note);

  OutputLock() = default;
  OutputLock(OutputLock&& other) noexcept;
  OutputLock& operator=(OutputLock&& other) noexcept;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  // Removes the lock file (while it is still this lock's) and releases the lock.
  ~OutputLock();

  bool held() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  void release() noexcept;
  int fd_ = -1;
  std::string path_;
};

}  // namespace tb::results
