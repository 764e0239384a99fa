#pragma once
// What the regression gate says about its files beside the verdict, from every file of both
// sides (repetitions.hpp keeps them per file): which files lack a kernel, which kernels were not
// verified. Each note names the files, so that a reader finds the run to look at.
#include <string>
#include <vector>

#include "harness/compare/repetitions.hpp"

namespace tb::compare {

// "{key}: missing from b1.json, c2.json; compared over the runs that have it" (or "only in the
// baseline, not compared"), one per kernel some file lacks.
void note_missing_kernels(const PooledRuns& baseline, const PooledRuns& current, std::vector<std::string>& notes);

// "{key}: not verified against its reference in c1.json (measured with --no-verify): ...", one per
// kernel some file did not verify: `status: complete` does not say it (docs/results-schema.md).
void note_unverified_kernels(const PooledRuns& baseline, const PooledRuns& current, std::vector<std::string>& notes);

}  // namespace tb::compare
