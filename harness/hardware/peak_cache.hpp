#pragma once
// A CPU has no datasheet, so its peaks are measured: the clock (a chain of dependent adds) and the
// memory bandwidth (a STREAM triad). Both move with the load on the host and the turbo headroom
// left: on a busy 2-core VM, 3.7 to 4.2 GHz and 20 to 35 GB/s within ten minutes, so the same
// work's MFU moved 13% from its denominator alone. A peak is a maximum, and load only lowers what a
// run sees: each run takes the highest value measured on this machine so far, kept in a small
// JSON file, so that runs after one quiet run judge themselves against the same peak.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace tb {

// Where the file lives: $TB_PEAK_CACHE (a file path; "off" keeps no file), else
// $XDG_CACHE_HOME/trainbench/peaks.json, else $HOME/.cache/trainbench/peaks.json; none where
// none of them is set. `getenv` is injectable for tests.
std::optional<std::filesystem::path> peak_cache_file(
    const std::function<const char*(const char*)>& getenv = [](const char* name) { return std::getenv(name); });

struct RememberedPeak {
  double value = 0;      // max(measured, the remembered one)
  double measured = 0;   // this run's own measurement
  bool raised = false;   // an earlier run measured more than this one
  double earlier = 0;    // what the file held before this run (0: nothing, or a value not believed)
  double disbelieved = 0;  // a value the file held and `max_ratio` ruled out (0: none)
  std::string file;      // the cache file, "" where there is none
};

// max(`measured`, the value remembered under `key` in `file`), remembered in turn. A missing,
// unreadable or corrupt file is a cache miss and is rewritten; one that cannot be written leaves
// this run's value as is. `key` names the machine and the quantity (a CPU model and thread count
// changes with the machine, so a copied home directory does not carry a peak to another one). A
// remembered value more than `max_ratio` times this run's is not believed (an edited file, or a
// machine that changed under the same name) and is replaced by this run's. The bound is wide: a
// STREAM triad under a load of 6.7 on 2 CPUs read 2.85 times below a quiet one, and a tighter bound
// (it was 2.5) let such a run lower the peak for every run after it, a jump in every % of peak.
inline constexpr double kUnbelievablePeakRatio = 10.0;
// `keep_disbelieved`: leave such a value in the file (health, which judges a machine against its
// own past: a machine 16x slower than before is what it must report, on every run after too).
RememberedPeak remember_highest(const std::optional<std::filesystem::path>& file, const std::string& key,
                                double measured, double max_ratio = kUnbelievablePeakRatio,
                                bool keep_disbelieved = false);

}  // namespace tb
