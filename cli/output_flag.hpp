#pragma once
// --out of a command that measures: checked when the flags are parsed, so that a path that cannot
// be written (a directory, an unwritable parent, an empty name) is refused before minutes of
// measuring, and before the backend is made (its notes printed), not after them
// (harness/results/output_path.hpp says what is checked).
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace tb::cli {

// results::check_output_path(path, flag, OutputKind::Results), as a validator for a results file:
// "--out: nope/x.json: ..." on error.
CLI::Validator writable_output(const std::string& flag);

// The same, with the command's own check of the path (a UsageError whose message starts with
// "FLAG " loses that prefix, which CLI11 writes as "FLAG: "): sweep checks the CSV written beside
// its --out as well.
CLI::Validator writable_output(const std::string& flag, std::function<void(const std::string&)> check);

}  // namespace tb::cli
