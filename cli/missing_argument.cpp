#include "cli/missing_argument.hpp"

#include <fmt/format.h>

#include <cctype>

namespace tb::cli {

namespace {

// "Results files (with --baseline: ...)" -> "results files": the option's own description, as a
// noun phrase.
std::string what_it_is(const CLI::Option& opt) {
  std::string what = opt.get_description().substr(0, opt.get_description().find(" ("));
  if (!what.empty()) what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
  return what.empty() ? opt.get_name() : what;
}

}  // namespace

std::string describe_missing(const CLI::App& app, const std::string& fallback) {
  const auto parsed = app.get_subcommands();
  if (parsed.empty()) return fallback + "; trainbench --help lists the commands";
  const CLI::App& cmd = *parsed.front();
  for (const CLI::Option* opt : cmd.get_options()) {
    if (!opt->get_required() || opt->count() > 0) continue;
    if (!opt->get_positional()) break;
    const bool several = opt->get_items_expected_max() > 1;
    return fmt::format("{}: give {}{}: trainbench {} {}", cmd.get_name(), several ? "one or more " : "a ",
                       what_it_is(*opt), cmd.get_name(), several ? "A.json [B.json ...]" : "A.json");
  }
  return fmt::format("{}: {}; trainbench {} --help lists the flags", cmd.get_name(), fallback, cmd.get_name());
}

}  // namespace tb::cli
