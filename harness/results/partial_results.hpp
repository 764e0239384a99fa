#pragma once
// Where a run's incremental writes go. `run` rewrites its results file after every kernel, so an
// interrupted run keeps what it measured; but an --out that already holds a complete results file
// is the record of an earlier run, and a Ctrl-C (or a kill) a second into a re-run must not replace
// it with one kernel. Then the writes before the end go beside it (keep.json: keep.partial.json),
// and only a run that ends complete replaces it, atomically, removing the partial file (one with
// a failed or out-of-memory kernel ends in the partial file too: no reader takes a step from it).
// A partial file can outlive that: an interrupted re-run leaves one, and a later run writes the
// file itself in place (the complete one was moved away, or replaced by a partial one). A run that
// ends complete there then clears the older partial file (stale_partial_beside), lest a reader take
// it for this run's record; what it cannot prove to be an earlier run's partial writes it keeps.
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

// What a run that ended complete in `out` did about the file at partial_path_beside(out).
struct StalePartial {
  std::string path;      // partial_path_beside(out)
  bool removed = false;
  std::string note;      // one line for stderr (no "trainbench: ", no newline); "" where no file is there
};

// Removes the file beside `out` where it is `run`'s own partial writes from a run that started no
// later than this one (`run_started_utc`, this run's machine.utc_time, ISO 8601): a results file
// of `run` whose status is not complete (run never leaves a complete record there) and whose
// machine.utc_time is at or before this run's start (no run honouring the lock, output_lock.hpp,
// writes there while this one runs). Anything else (not a results file, another command's, a
// complete run, one started later or with no start time) is kept, and the note says why.
StalePartial clear_stale_partial(const std::string& out, const std::string& run_started_utc);

}  // namespace tb::results
