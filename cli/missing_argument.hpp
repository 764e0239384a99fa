#pragma once
// A required argument left out, said as what to give: CLI11's "files is required" names an
// internal positional the user never sees in a command line.
#include <CLI/CLI.hpp>

#include <string>

namespace tb::cli {

// After CLI::RequiredError from app.parse: for a missing positional, "report: give one or more
// results files: trainbench report A.json [B.json ...]"; else CLI11's message (`fallback`, e.g.
// "-m is required") after the command's name and before where its flags are listed.
std::string describe_missing(const CLI::App& app, const std::string& fallback);

}  // namespace tb::cli
