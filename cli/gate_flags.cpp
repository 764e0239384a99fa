#include "cli/gate_flags.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "cli/quantity_parse.hpp"
#include "harness/common/errors.hpp"
#include "harness/results/output_path.hpp"

namespace tb::cli {

// "3%" and "3" both mean 3 percent: a regression threshold is always given in percent
// (docs/compare.md). A bare number between 0 and 1 is refused: "0.03" reads as a fraction (3%)
// to anyone used to --noise 0.01, but would mean 0.03% here; "3%" or "0.03%" says which.
double parse_threshold(const std::string& text) {
  std::string t = text;
  const bool percent_sign = !t.empty() && t.back() == '%';
  if (percent_sign) t.pop_back();
  const double pct = parse_finite_number(t).value_or(-1);
  if (pct < 0 || pct > 1000)
    throw UsageError(fmt::format("--threshold '{}' is not a percentage between 0% and 1000% (e.g. 3%)", text));
  if (!percent_sign && pct > 0 && pct < 1)
    throw UsageError(fmt::format("--threshold '{}' is ambiguous: a bare number is in percent ({} means {}%, not "
                                 "{:g}%); write {:g}% for a fraction of {}, or {}% if you mean {}%",
                                 text, text, text, pct * 100, pct * 100, text, text, text));
  return pct / 100.0;
}

// Flags that only one mode reads: given in the other, they would be silently ignored.
void refuse_flags_of_other_mode(const CLI::App& cmd, const std::vector<std::string>& flags, const std::string& why) {
  std::vector<std::string> given;
  for (const auto& name : flags)
    if (cmd.get_option(name)->count() > 0) given.push_back(name);
  if (!given.empty()) throw UsageError(fmt::format("{}: {}", fmt::join(given, ", "), why));
}

// `--baseline good-1.json good-2.json … tonight-*.json` (a shell glob after the flag) reads
// good-1.json as the baseline and every other file as a current run: one baseline run against a
// pool of both nights hides the change. --baseline takes one FILE per occurrence (FILE[,FILE...]),
// so a single baseline file beside several current files is refused: with one baseline run the
// runs cannot decide (3 or more a side, docs/compare.md), and it is far likelier a glob than a plan.
void refuse_misplaced_baseline(const std::vector<std::string>& baseline, const std::vector<std::string>& current) {
  if (baseline.size() != 1 || current.size() < 2) return;
  std::vector<std::string> shown(current.begin(), current.begin() + std::min<std::ptrdiff_t>(3, std::ssize(current)));
  if (current.size() > shown.size()) shown.push_back("…");
  throw UsageError(fmt::format(
      "--baseline took 1 file ({}) and the current side {} files ({}): --baseline takes one FILE per occurrence, so "
      "every file after it was read as a current run. Did you mean --baseline {},{},… (a comma list, or --baseline "
      "repeated) followed by tonight's files? One baseline run against several current runs is refused: give each "
      "side its runs (7 a side for a `run` file's 25 items)",
      baseline.front(), current.size(), fmt::join(shown, " "), baseline.front(), current.front()));
}

// --baseline's values as files. A value is a comma list only where it is not itself a file: a
// results file whose name has a comma ("night,0.json") is one file, in a list or its own flag.
// A directory is refused: which of its files are runs (a peaks cache, an export, last week's
// baseline) would be a guess, and a nightly job must name the runs it judges.
std::vector<std::string> baseline_files(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    std::error_code ec;
    std::vector<std::string> pieces;
    if (value.find(',') == std::string::npos || std::filesystem::is_regular_file(value, ec)) {
      pieces.push_back(value);
    } else {
      for (std::size_t from = 0;;) {
        const auto comma = value.find(',', from);
        pieces.push_back(value.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
        if (comma == std::string::npos) break;
        from = comma + 1;
      }
    }
    for (const auto& path : pieces) {
      if (path.empty())
        throw UsageError(fmt::format("--baseline '{}': a path is empty; give the baseline results file(s), one per "
                                     "--baseline or as a comma list",
                                     value));
      if (std::filesystem::is_directory(path, ec))
        throw UsageError(fmt::format("--baseline {}: is a directory; --baseline takes results files, not a directory: "
                                     "--baseline \"$(ls {}/*.json | paste -sd, -)\" names each of its runs",
                                     path, path.ends_with('/') ? path.substr(0, path.size() - 1) : path));
      if (pieces.size() > 1 && !std::filesystem::exists(path, ec))
        throw UsageError(fmt::format("--baseline '{}': no file '{}' (read as a comma list, since no file is named "
                                     "'{}'); a file whose name has a comma is given whole, as its own --baseline",
                                     value, path, value));
      out.push_back(path);
    }
  }
  return out;
}

// The same file on both sides (by path: "./a.json" and "a.json" are one) compares a run with
// itself: it can only pass. A copy under another name is caught by its content (check_regressions).
void refuse_a_file_on_both_sides(const std::vector<std::string>& baseline, const std::vector<std::string>& current) {
  for (const auto& b : baseline)
    for (const auto& c : current)
      if (results::same_file(b, c))
        throw UsageError(fmt::format("{} is given as the baseline (--baseline {}) and as a current run ({}): a run "
                                     "compared with itself cannot fail; give tonight's run(s) after the baseline's",
                                     b, b, c));
}

// --alpha as text, so that "abc" is refused here, in the gate's formats, and not by the parser
// before the gate could answer; its range is checked with the other options.
double parse_alpha(const std::string& text) {
  const auto alpha = parse_finite_number(text);
  if (!alpha)
    throw UsageError(fmt::format("--alpha '{}' is not a number; accepted values: a number in (0, 0.5], the level of "
                                 "every p-value rule (e.g. 0.05)",
                                 text));
  return *alpha;
}

std::vector<std::string> gate_inputs(const std::vector<std::string>& files, const std::vector<std::string>& baseline) {
  std::vector<std::string> inputs = files;
  for (const auto& value : baseline) {
    inputs.push_back(value);
    for (std::size_t from = 0, comma = 0; comma != std::string::npos; from = comma + 1) {
      comma = value.find(',', from);
      inputs.push_back(value.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
    }
  }
  return inputs;
}

}  // namespace tb::cli
