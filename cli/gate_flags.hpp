#pragma once
// The regression gate's inputs as `compare --baseline` and `report --baseline` both read them:
// --baseline's files, --threshold and --alpha, and what is refused before any file is read.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace tb::cli {

// --threshold as a fraction: "3%" and "3" both mean 3 percent; a bare number between 0 and 1 is
// refused as ambiguous.
double parse_threshold(const std::string& text);

// --alpha as a number (its range is check_regression_options').
double parse_alpha(const std::string& text);

// Refuses (naming them) the flags of `flags` given on `cmd`: only the other mode reads them, and
// given here they would be silently ignored. `why` says which mode.
void refuse_flags_of_other_mode(const CLI::App& cmd, const std::vector<std::string>& flags, const std::string& why);

// --baseline's values as files: one FILE per occurrence, a comma list where the value is not
// itself a file; an empty piece, a directory or a listed file that does not exist refused.
std::vector<std::string> baseline_files(const std::vector<std::string>& values);

// One baseline file beside several current ones: a shell glob after --baseline, refused.
void refuse_misplaced_baseline(const std::vector<std::string>& baseline, const std::vector<std::string>& current);

// The same file given as baseline and as a current run: a run compared with itself, refused.
void refuse_a_file_on_both_sides(const std::vector<std::string>& baseline, const std::vector<std::string>& current);

// Every input path however --baseline's values split (each value whole and each comma piece), for
// the output checks: an output flag must name none of them.
std::vector<std::string> gate_inputs(const std::vector<std::string>& files, const std::vector<std::string>& baseline);

}  // namespace tb::cli
