#pragma once
// Output paths checked before any work: a file written at the end of a long command must not
// fail then (a directory, an empty name, a missing or unwritable folder), and must never replace
// one of the command's own inputs (write_file_atomic renames over whatever is there). Every
// command with an output flag checks it here (run, gemm, attention, sweep, comm, health through
// cli/output_flag.hpp or directly; compare --junit, report and export -o; --benchmark_out).
#include <filesystem>
#include <string>
#include <vector>

#include "harness/results/output_kind.hpp"

namespace tb::results {

// Whether two paths name the same file: fs::equivalent when both exist, else their
// weakly_canonical forms (so "./a.json", "a.json" and "dir/../a.json" all match).
bool same_file(const std::string& a, const std::string& b);

// The folder `path` is written into ("." for a bare file name).
std::filesystem::path output_folder(const std::string& path);

// A UsageError naming `flag` when `path` is empty, is a directory or another non-regular file,
// names one of `inputs`, is an existing file that does not hold output of `kind` (output_kind.hpp:
// a results file replaces an earlier results file or an empty file, never a binary or a source
// file), or is in a folder that does not exist (named in the message: no folder is ever created
// for a path the user typed, so `--out reslts/run.json` is refused, not made), is not a directory
// or cannot be written. Creates nothing.
void check_output_path(const std::string& path, const std::string& flag, OutputKind kind,
                       const std::vector<std::string>& inputs = {});

// Why no file can be created in the existing `folder` after mkstemp failed with `error`:
// strerror's text, except for ENOENT, which there means a filesystem that takes no new files
// (procfs, even as root), not a missing folder.
std::string why_not_creatable(const std::string& folder, int error);

// The folder of a default path a command chose itself (`run` and `sweep` write under results/
// without --out), created before check_output_path; a UsageError naming `flag` if it cannot be.
void create_default_output_folder(const std::string& path, const std::string& flag);

}  // namespace tb::results
