#include "harness/hardware/peak_cache.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <sstream>
#include <system_error>

#include "harness/results/results_io.hpp"

namespace tb {

std::optional<std::filesystem::path> peak_cache_file(const std::function<const char*(const char*)>& getenv) {
  auto set = [&](const char* name) -> std::optional<std::string> {
    const char* v = getenv(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
  if (const auto explicit_file = set("TB_PEAK_CACHE")) {
    if (*explicit_file == "off") return std::nullopt;
    return std::filesystem::path(*explicit_file);
  }
  if (const auto xdg = set("XDG_CACHE_HOME")) return std::filesystem::path(*xdg) / "trainbench" / "peaks.json";
  if (const auto home = set("HOME")) return std::filesystem::path(*home) / ".cache" / "trainbench" / "peaks.json";
  return std::nullopt;
}

namespace {

// An exclusive flock on `file`.lock for the read-modify-write, so that two runs at once (ctest -j,
// a run per GPU) do not drop each other's keys. Given up after about 5 s (a stuck holder; a second
// was too short on a loaded host, where a holder can wait that long for a core):
// the cache is a convenience, and the run then goes on unlocked.
class CacheLock {
 public:
  explicit CacheLock(const std::filesystem::path& file) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    fd_ = ::open((file.string() + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd_ < 0) return;
    for (int attempt = 0; attempt < 500; ++attempt) {
      if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~CacheLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  CacheLock(const CacheLock&) = delete;
  CacheLock& operator=(const CacheLock&) = delete;

 private:
  int fd_ = -1;
};

nlohmann::json read_peaks(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return nlohmann::json::object();
  std::stringstream text;
  text << in.rdbuf();
  const auto j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("peaks") || !j["peaks"].is_object()) return nlohmann::json::object();
  return j["peaks"];
}

}  // namespace

RememberedPeak remember_highest(const std::optional<std::filesystem::path>& file, const std::string& key,
                                double measured, double max_ratio, bool keep_disbelieved) {
  RememberedPeak r;
  r.measured = measured;
  r.value = measured;
  if (!file) return r;
  r.file = file->string();
  const CacheLock lock(*file);
  nlohmann::json peaks = read_peaks(*file);
  const auto it = peaks.find(key);
  const bool believed = it != peaks.end() && it->is_number() && it->get<double>() > 0 &&
                        !(measured > 0 && it->get<double>() > max_ratio * measured);
  if (believed) r.earlier = it->get<double>();
  if (!believed && it != peaks.end() && it->is_number() && it->get<double>() > 0 && measured > 0) {
    r.disbelieved = it->get<double>();
    if (keep_disbelieved) return r;
  }
  if (believed && it->get<double>() > measured) {
    r.value = it->get<double>();
    r.raised = true;
    return r;  // nothing new to remember
  }
  if (!(measured > 0)) return r;
  peaks[key] = measured;
  try {
    const nlohmann::json doc = {
        {"about", "trainbench: the highest CPU clock and memory bandwidth measured on this machine (the "
                  "CPU backend's peaks); delete this file to measure afresh"},
        {"peaks", peaks}};
    results::write_file_atomic(file->string(), doc.dump(2) + "\n");
  } catch (const std::exception&) {
    // A cache that cannot be written costs only stability across runs: this run's value stands.
  }
  return r;
}

}  // namespace tb
