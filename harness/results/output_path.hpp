#pragma once
// Output paths checked before any work: a file written at the end of a long command must not
// fail then (a directory, an empty name, an unwritable parent), and must never replace one of
// the command's own inputs (write_file_atomic renames over whatever is there).
#include <string>
#include <vector>

namespace tb::results {

// Whether two paths name the same file: fs::equivalent when both exist, else their
// weakly_canonical forms (so "./a.json", "a.json" and "dir/../a.json" all match).
bool same_file(const std::string& a, const std::string& b);

// A UsageError naming `flag` when `path` is empty, is a directory or another non-regular file,
// has a parent that cannot be created or written, or names one of `inputs`.
void check_output_path(const std::string& path, const std::string& flag, const std::vector<std::string>& inputs = {});

}  // namespace tb::results
