#pragma once
// Flag values like "300e9", "300B", "2T", "1.5M": plain numbers with an optional SI-ish suffix.
#include <string>

namespace tb::cli {

// Refuses anything else (and NaN, infinity) naming the flag.
double parse_quantity(const std::string& text, const std::string& flag);

}  // namespace tb::cli
