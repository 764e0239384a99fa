#pragma once
// Flag values like "300e9", "300B", "2T", "1.5M": plain numbers with an optional SI-ish suffix.
#include <optional>
#include <string>

namespace tb::cli {

// Refuses anything else (and NaN, infinity) naming the flag.
double parse_quantity(const std::string& text, const std::string& flag);

// --tokens: a quantity as above that is positive; refused naming --tokens otherwise.
double parse_positive_tokens(const std::string& text);

// The whole of `text` as a finite number ("2.5", "1e4"), or nothing: callers refuse with their
// own message, which knows the accepted forms.
std::optional<double> parse_finite_number(const std::string& text);

}  // namespace tb::cli
