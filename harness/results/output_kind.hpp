#pragma once
// What an output flag writes, so that an existing file is replaced only by the same kind of output:
// `gemm --out build/cli/trainbench` must not turn the binary into a results file. Rerunning a
// command onto its earlier output (last night's results, JUnit or report) stays allowed, and so
// does an empty file (`mktemp`'s).
#include <string>

namespace tb::results {

enum class OutputKind {
  Results,       // a trainbench results file (run, gemm, attention, sweep, health, comm --out)
  SweepCsv,      // sweep's curve beside its results
  GbenchJson,    // export --format gbench
  BenchmarkOut,  // Google Benchmark's --benchmark_out (JSON by default, its CSV, or its console table)
  JUnitXml,      // compare --junit
  Html,          // report -o
};

// "a trainbench results file", "an HTML file", ...: what a file must be to be replaced.
std::string describe(OutputKind kind);

// Whether `path` holds what `kind` writes (checked from its content, not its name). An empty file
// counts as any kind.
bool holds_output_of(const std::string& path, OutputKind kind);

// For a path that exists as a regular file: "" where writing `kind` over it is fine, else the
// refusal (naming `flag`, the path, what it would have to be, and what to do instead).
std::string replacement_refusal(const std::string& path, const std::string& flag, OutputKind kind);

}  // namespace tb::results
