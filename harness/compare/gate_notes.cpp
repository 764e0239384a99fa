#include "harness/compare/gate_notes.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <set>

namespace tb::compare {

// Every file that lacks a kernel another file has, named, and what became of the kernel.
void note_missing_kernels(const PooledRuns& b, const PooledRuns& c, std::vector<std::string>& notes) {
  std::set<std::string> keys;
  for (const auto& [key, runs] : b.run_medians) keys.insert(key);
  for (const auto& [key, runs] : c.run_medians) keys.insert(key);
  for (const auto& key : keys) {
    // Failed or unmeasured kernels are in the files: their own items and notes say so.
    if (c.failed_in.count(key) > 0 || c.unmeasured_in.count(key) > 0 || b.failed_in.count(key) > 0 ||
        b.unmeasured_in.count(key) > 0)
      continue;
    const bool in_b = b.run_medians.count(key) > 0, in_c = c.run_medians.count(key) > 0;
    auto lacking = [&](const PooledRuns& side, bool in_side) {
      if (!in_side) return side.origins;
      const auto it = side.missing_from.find(key);
      return it == side.missing_from.end() ? std::vector<std::string>{} : it->second;
    };
    std::vector<std::string> files = lacking(b, in_b);
    for (const auto& f : lacking(c, in_c)) files.push_back(f);
    // A kernel one side lacks altogether is an item of its own (missing, new: kernel_items.hpp),
    // which says so; a note would say it twice.
    if (files.empty() || !in_b || !in_c) continue;
    notes.push_back(fmt::format("{}: missing from {}; compared over the runs that have it", key, fmt::join(files, ", ")));
  }
}

void note_unverified_kernels(const PooledRuns& b, const PooledRuns& c, std::vector<std::string>& notes) {
  std::map<std::string, std::vector<std::string>> files;
  for (const auto* side : {&b, &c})
    for (const auto& [key, origins] : side->unverified_in) files[key].insert(files[key].end(), origins.begin(), origins.end());
  for (const auto& [key, origins] : files)
    notes.push_back(fmt::format("{}: not verified against its reference in {} (measured with --no-verify): the time "
                                "of a wrong result passes the gate like a right one's",
                                key, fmt::join(origins, ", ")));
}

}  // namespace tb::compare
