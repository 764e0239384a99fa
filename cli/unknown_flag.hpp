#pragma once
// What the user typed that no flag of the subcommand takes, said with the flag they probably
// meant: CLI11's own "The following arguments were not expected: 8 --gpus-count" lists the words
// backwards and names no alternative.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace tb::cli {

// After CLI::ExtrasError from app.parse: one line naming the first unknown flag (with a near miss
// among the subcommand's flags) or the stray argument, and where the flags are listed.
std::string describe_extras(const CLI::App& app);

// The same line for `cmd`'s leftover `words` (in the order typed), the near miss sought among its
// own flags and `more_flags` (the Google Benchmark flags of gemm, attention and sweep, which let
// extras through for them).
std::string describe_unknown_words(const CLI::App& cmd, const std::vector<std::string>& words,
                                   const std::vector<std::string>& more_flags = {});

}  // namespace tb::cli
