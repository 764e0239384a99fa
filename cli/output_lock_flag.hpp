#pragma once
// One measuring command per results file at a time, for every command that measures and writes
// one (run, gemm, attention, sweep, health, comm; Google Benchmark's --benchmark_out too): two
// over one file would each write it in turn, and the first to end would lose its measurements
// to the second without a word. The lock (harness/results/output_lock.hpp) is taken before
// anything is measured, so the second refuses at once, and held until the command ends.
// Commands that write a file computed in memory from files (report, export, compare --junit,
// estimate) take none: theirs is one atomic rename, and nothing measured is lost by running again.
#include <string>
#include <vector>

#include "harness/results/output_lock.hpp"

namespace tb::cli {

// The lock on `path` (none where `path` is ""), the refusal naming `flag`: a RuntimeError (exit
// 1) where another process holds it. A lock that cannot be taken (no lock file can be made) is a
// line in `*notes`, which the command prints with its other notes.
results::OutputLock lock_output_file(const std::string& path, const std::string& flag, std::string* notes);

// Google Benchmark's --benchmark_out (none where `gbench_args` give none), locked as above. The
// same file as `out` (the command's --out) is a UsageError (exit 2): both writers would be this
// command, and its own lock would read as another's.
results::OutputLock lock_benchmark_out(const std::vector<std::string>& gbench_args, const std::string& out,
                                       std::string* notes);

}  // namespace tb::cli
