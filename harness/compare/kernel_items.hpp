#pragma once
// Which item of the regression gate each kernel gets, from what each side's runs did with it
// (docs/compare.md, "Kernels on one side only"):
//  - measured on both sides: the rule that decides (decide.cpp), over the runs that measured it; a
//    kernel that failed in some baseline runs is judged over the others, and says so;
//  - failed in a current run: "failed", a regression whatever the other runs timed, or
//    "still_failing" where every baseline run failed it too (nothing got worse);
//  - failed in every baseline run and measured tonight: "fixed";
//  - in no current file (--allow-different-shapes): "missing", which leaves the gate inconclusive:
//    it may be the regression, and no measurement says it is;
//  - in no baseline file: "new", listed, never judged.
#include <string>
#include <vector>

#include "harness/compare/item_verdict.hpp"
#include "harness/compare/repetitions.hpp"

namespace tb::compare {

// One item per kernel some file of either side lists: the baseline's in their order, then those
// only the current side lists. Notes (a kernel judged over fewer runs than its side has, and why)
// are appended to `notes`.
std::vector<ItemVerdict> kernel_items(const PooledRuns& baseline, const PooledRuns& current,
                                      const RegressionOptions& options, std::vector<std::string>& notes);

}  // namespace tb::compare
