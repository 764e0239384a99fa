#include "cli/quantity_parse.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "harness/common/errors.hpp"

namespace tb::cli {

double parse_quantity(const std::string& text, const std::string& flag) {
  auto refuse = [&] {
    throw UsageError(fmt::format("{}: '{}' is not a number (examples: 300e9, 300B, 2T, 1.5M)", flag, text));
  };
  if (text.empty()) refuse();
  std::string body = text;
  double scale = 1.0;
  switch (std::toupper(static_cast<unsigned char>(body.back()))) {
    case 'K': scale = 1e3; body.pop_back(); break;
    case 'M': scale = 1e6; body.pop_back(); break;
    case 'B':
    case 'G': scale = 1e9; body.pop_back(); break;
    case 'T': scale = 1e12; body.pop_back(); break;
    default: break;
  }
  char* end = nullptr;
  const double value = std::strtod(body.c_str(), &end);
  if (body.empty() || end != body.c_str() + body.size()) refuse();
  if (!std::isfinite(value)) throw UsageError(fmt::format("{}: must be finite (got '{}')", flag, text));
  return value * scale;
}

std::optional<double> parse_finite_number(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return std::nullopt;
  // Decimal only: strtod also reads hex ("0x10" = 16) and "inf"/"nan", none of which is a price.
  if (text.find_first_not_of("0123456789+-.eE") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

double parse_positive_tokens(const std::string& text) {
  const double tokens = parse_quantity(text, "--tokens");
  if (!(tokens >= 1)) throw UsageError(fmt::format("--tokens must be at least 1 token (got {})", text));
  return tokens;
}

}  // namespace tb::cli
