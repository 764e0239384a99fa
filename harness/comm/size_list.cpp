#include "harness/comm/size_list.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <sstream>

#include "harness/common/errors.hpp"

namespace tb::comm {

namespace {
// 1 TiB per message is more than any GPU holds; past it the input is a typo.
constexpr double kMaxBytes = 1024.0 * 1024 * 1024 * 1024;
}

int64_t parse_size_bytes(const std::string& raw, const std::string& flag) {
  std::string text = raw;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  // "8GB" means 8G and "64B" means 64: a trailing B (bytes) is dropped.
  if (text.size() > 1 && (text.back() == 'B' || text.back() == 'b')) text.pop_back();
  double multiplier = 1;
  if (!text.empty() && std::isalpha(static_cast<unsigned char>(text.back()))) {
    switch (std::toupper(static_cast<unsigned char>(text.back()))) {
      case 'K': multiplier = 1024.0; break;
      case 'M': multiplier = 1024.0 * 1024; break;
      case 'G': multiplier = 1024.0 * 1024 * 1024; break;
      case 'T': multiplier = 1024.0 * 1024 * 1024 * 1024; break;
      default:
        throw UsageError(fmt::format("{}: cannot read size '{}'; use bytes with an optional K, M, G or T "
                                     "suffix (powers of 1024, as nccl-tests), e.g. 8, 64K, 8G",
                                     flag, raw));
    }
    text.pop_back();
  }
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || !std::isfinite(value))
    throw UsageError(fmt::format("{}: cannot read size '{}'; use bytes with an optional K, M, G or T suffix, e.g. 8, "
                                 "64K, 8G",
                                 flag, raw));
  const double bytes = value * multiplier;
  if (bytes < 1 || bytes > kMaxBytes)
    throw UsageError(fmt::format("{}: size '{}' must be between 1 byte and 1T", flag, raw));
  return static_cast<int64_t>(std::llround(bytes));
}

std::vector<int64_t> geometric_sizes(int64_t min_bytes, int64_t max_bytes, int64_t factor, const std::string& flag) {
  if (min_bytes < 1) throw UsageError(fmt::format("{}: minimum size must be >= 1 byte (got {})", flag, min_bytes));
  if (max_bytes < min_bytes)
    throw UsageError(fmt::format("{}: maximum size {} is below the minimum {}", flag, max_bytes, min_bytes));
  if (factor < 2 && min_bytes != max_bytes)
    throw UsageError(fmt::format("{}: the step factor must be an integer >= 2 (got {})", flag, factor));
  std::vector<int64_t> sizes;
  for (int64_t s = min_bytes; s <= max_bytes; s *= factor) {
    sizes.push_back(s);
    if (factor < 2 || s > max_bytes / factor) break;
  }
  return sizes;
}

std::vector<int64_t> parse_size_list(const std::string& text, const std::string& flag) {
  if (text.find(':') != std::string::npos) {
    std::vector<std::string> parts;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, ':');) parts.push_back(part);
    if (parts.size() < 2 || parts.size() > 3)
      throw UsageError(fmt::format("{}: '{}' is not MIN:MAX[:FACTOR] (e.g. 8:8G:2)", flag, text));
    int64_t factor = 2;
    if (parts.size() == 3) {
      try {
        size_t used = 0;
        factor = std::stoll(parts[2], &used);
        if (used != parts[2].size()) factor = 0;
      } catch (const std::exception&) {
        factor = 0;
      }
    }
    return geometric_sizes(parse_size_bytes(parts[0], flag), parse_size_bytes(parts[1], flag), factor, flag);
  }
  std::vector<int64_t> sizes;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    if (part.empty()) throw UsageError(fmt::format("{}: an empty entry in '{}' (e.g. 1M,16M)", flag, text));
    sizes.push_back(parse_size_bytes(part, flag));
  }
  if (sizes.empty()) throw UsageError(fmt::format("{}: no sizes in '{}' (e.g. 8:8G:2 or 1M,16M)", flag, text));
  return sizes;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.3g} {}", bytes, units[u]);
}

}  // namespace tb::comm
