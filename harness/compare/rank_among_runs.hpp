#pragma once
// History against tonight: many baseline runs (>= 3), one or two current runs. Pooling their
// samples weights each run by its sample count and treats the samples of one run as independent
// (they share its moment of the host), so a night inside the baseline runs' own range failed 12 of
// 14 identical-code nights. The runs are the unit instead: tonight's run median(s) ranked among
// the baseline's run medians by an exact permutation test, valid when tonight's runs are
// exchangeable with the baseline's under no change (Mann & Whitney 1947, one-sided).
//
// For one current run the p is (1 + #{baseline run medians >= current}) / (n_b + 1): its rank
// among n_b + 1 runs, each equally likely with no change. For two, the exact U over runs: of the
// C(n_b + 2, 2) equally likely choices of which two pooled runs are "current", the share whose U
// (pairs current > baseline, ties 1/2) is at least the one seen.
#include <span>

namespace tb::compare {

// One-sided exact p of the current runs being this far beyond the baseline runs: `direction` +1
// asks "slower?" (U at least the one seen), −1 "faster?" (U at most). Every subset of the pooled
// runs of the current side's size is dealt, so keep the current side small (1 or 2 runs; a
// UsageError above 4 or with either side empty).
double rank_among_runs_p(std::span<const double> baseline_runs, std::span<const double> current_runs, int direction);

// The smallest p that test can give: the current runs wholly beyond the baseline's, 1 / C(n_b +
// n_c, n_c) whatever the ties (the largest U is reached by that one choice alone).
double smallest_rank_among_runs_p(int baseline_runs, int current_runs);

}  // namespace tb::compare
