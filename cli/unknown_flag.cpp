#include "cli/unknown_flag.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "harness/common/near_miss.hpp"

namespace tb::cli {

namespace {

// Every flag of `cmd` as typed: "--gpus", "-o".
std::vector<std::string> flag_names(const CLI::App& cmd) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : cmd.get_options()) {
    for (const auto& n : opt->get_lnames()) names.push_back("--" + n);
    for (const auto& n : opt->get_snames()) names.push_back("-" + n);
  }
  return names;
}

// A near miss, else a flag the typed one extends with a dash ("--gpus-count" is --gpus with
// words added).
std::string suggestion(const std::string& flag, const std::vector<std::string>& flags) {
  if (std::string near = did_you_mean(flag, flags); !near.empty()) return near;
  std::string stem;
  for (const auto& f : flags)
    if (f.size() > 3 && f.size() > stem.size() && flag.rfind(f + "-", 0) == 0) stem = f;
  return stem.empty() ? "" : " (did you mean " + stem + "?)";
}

}  // namespace

std::string describe_unknown_words(const CLI::App& cmd, const std::vector<std::string>& words,
                                   const std::vector<std::string>& more_flags) {
  const bool top = cmd.get_parent() == nullptr;
  const std::string who = top ? "" : cmd.get_name() + ": ";
  const std::string where = top ? "trainbench --help" : "trainbench " + cmd.get_name() + " --help";
  std::vector<std::string> flags = flag_names(cmd);
  flags.insert(flags.end(), more_flags.begin(), more_flags.end());
  for (const auto& word : words)
    if (word.size() > 1 && word[0] == '-') {
      const std::string flag = word.substr(0, word.find('='));
      return fmt::format("{}no flag {}{}; {} lists them", who, flag, suggestion(flag, flags), where);
    }
  return fmt::format("{}unexpected argument '{}' (flags take their value as --flag VALUE); {} lists the flags", who,
                     words.empty() ? "" : words.front(), where);
}

std::string describe_extras(const CLI::App& app) {
  const auto parsed = app.get_subcommands();
  const CLI::App& cmd = parsed.empty() ? app : *parsed.front();
  // CLI11 keeps the leftovers last-first.
  auto extras = app.remaining(true);
  std::reverse(extras.begin(), extras.end());
  return describe_unknown_words(cmd, extras);
}

}  // namespace tb::cli
