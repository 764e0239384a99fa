#include "harness/common/near_miss.hpp"

#include <algorithm>

namespace tb {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

bool near_miss(const std::string& typed, const std::string& known) {
  const size_t allowed = std::clamp<size_t>(typed.size() / 3, 1, 2);
  return edit_distance(typed, known) <= allowed;
}

std::vector<std::string> closest(const std::string& typed, const std::vector<std::string>& candidates) {
  std::vector<std::string> best;
  size_t best_distance = 0;
  for (const auto& c : candidates) {
    if (c == typed || !near_miss(typed, c)) continue;
    const size_t d = edit_distance(typed, c);
    if (best.empty() || d < best_distance) best.clear(), best_distance = d;
    if (d == best_distance) best.push_back(c);
  }
  return best;
}

std::string did_you_mean(const std::string& typed, const std::vector<std::string>& candidates) {
  const auto near = closest(typed, candidates);
  if (near.empty()) return "";
  std::string names = near.front();
  for (size_t i = 1; i < near.size(); ++i) names += (i + 1 == near.size() ? " or " : ", ") + near[i];
  return " (did you mean " + names + "?)";
}

}  // namespace tb
