#pragma once
// Results files: JSON (de)serialization, validation with clear messages, atomic writes.
#include <nlohmann/json.hpp>
#include <string>

#include "harness/results/run_results.hpp"

namespace tb::results {

nlohmann::json to_json(const RunResults& results);
// Refuses missing keys, wrong types and other schema versions, naming `origin` and the field.
RunResults from_json(const nlohmann::json& j, const std::string& origin);

// Empty, truncated, corrupted and wrong-version files are a UsageError naming the file.
RunResults read_results_file(const std::string& path);

// Writes to a temporary file beside `path`, flushes, then renames over it: a reader never
// sees half a file, and an interrupted write leaves the previous one intact. Creates no folder: a
// missing one is a RuntimeError (paths are checked first: output_path.hpp).
void write_file_atomic(const std::string& path, const std::string& contents);
void write_results_file(const std::string& path, const RunResults& results);

}  // namespace tb::results
