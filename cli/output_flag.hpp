#pragma once
// --out of a command that measures: checked when the flags are parsed, so that a path that cannot
// be written (a directory, an unwritable parent, an empty name) is refused before minutes of
// measuring, not after them (harness/results/output_path.hpp says what is checked).
#include <CLI/CLI.hpp>

#include <string>

namespace tb::cli {

CLI::Validator writable_output(const std::string& flag);

}  // namespace tb::cli
