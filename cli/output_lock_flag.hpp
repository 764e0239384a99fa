#pragma once
// One measuring command per results file at a time, for every command that measures and writes
// one (run, gemm, attention, sweep, health, comm; Google Benchmark's --benchmark_out too): two
// over one file would each write it in turn, and the first to end would lose its measurements
// to the second without a word. The lock (harness/results/output_lock.hpp) is taken before
// anything is measured, so the second refuses at once, and held until the command ends.
// Commands that write a file computed in memory from files (report, export, compare --junit,
// estimate) take none: theirs is one atomic rename, and nothing measured is lost by running again.
#include <string>

#include "harness/results/output_lock.hpp"

namespace tb::cli {

// The lock on `path` (none where `path` is ""), the refusal naming `flag`: a RuntimeError (exit
// 1) where another process holds it. A lock that cannot be taken (no lock file can be made) is a
// line in `*notes`, which the command prints with its other notes.
results::OutputLock lock_output_file(const std::string& path, const std::string& flag, std::string* notes);

}  // namespace tb::cli
