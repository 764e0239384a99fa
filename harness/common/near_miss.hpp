#pragma once
// Spelling near misses, for messages that name what the user probably meant: a misspelt flag,
// config name or TOML table.
#include <string>
#include <vector>

namespace tb {

// Levenshtein distance: insertions, deletions and substitutions, one each.
size_t edit_distance(const std::string& a, const std::string& b);

// Whether `typed` is within a typo of `known`: one edit in a short name, two in a longer one, so
// that "moe" is not a near miss of "foo".
bool near_miss(const std::string& typed, const std::string& known);

// The near misses of `typed` nearest to it, in the candidates' order (several when equally near:
// "gpt3-17b" is one edit from both gpt3-13b and gpt3-175b); empty when none is near.
std::vector<std::string> closest(const std::string& typed, const std::vector<std::string>& candidates);

// " (did you mean X?)", " (did you mean X or Y?)", or "" when nothing is near.
std::string did_you_mean(const std::string& typed, const std::vector<std::string>& candidates);

}  // namespace tb
