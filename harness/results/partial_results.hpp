#pragma once
// Where a run's incremental writes go. `run` rewrites its results file after every kernel, so an
// interrupted run keeps what it measured; but an --out that already holds a complete results file
// is the record of an earlier run, and a Ctrl-C (or a kill) a second into a re-run must not replace
// it with one kernel. Then the writes before the end go beside it (keep.json: keep.partial.json),
// and only a run that ends complete replaces it, atomically, removing the partial file (one with
// a failed or out-of-memory kernel ends in the partial file too: no reader takes a step from it).
#include <string>

namespace tb::results {

// "keep.json" -> "keep.partial.json", "dir/run" -> "dir/run.partial": the file beside `out`.
std::string partial_path_beside(const std::string& out);

// Whether `path` is a results file whose top-level status is "complete". Anything else (no file,
// an empty or unreadable one, a partial or failed run) holds nothing a partial write could lose.
bool holds_complete_results(const std::string& path);

// Where a run writing `out` puts its writes before the end: `out` itself, or partial_path_beside
// it where `out` holds a complete results file.
std::string progress_path_for(const std::string& out);

}  // namespace tb::results
