#pragma once
// The regression gate tests every kernel and the step, and fails the job when any of them is
// slower: 24 tests (a GPT-3 run's 23 kernels and its step) at alpha 0.05 each would fail
// identical code on up to 1 − 0.95^24 ≈ 71% of nights were the tests independent (20-43%
// measured over real runs, whose tests correlate).
// Holm's step-down procedure (Holm 1979, "A simple sequentially rejective multiple test
// procedure", Scand. J. Statist. 6:65-70) holds the chance of ANY false alarm in the job to
// alpha, under any dependence between the tests, and is never less powerful than Bonferroni.
//
// Discrete tests (the U test on a few runs, the run-range rule) cannot give every p-value: 3
// runs against 3 give at best 1/20. Where the smallest p a test can give is above what the
// correction asks of it, the item can never fail, whatever the data: the gate says so.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace tb::compare {

enum class Correction { Holm, None };
const char* to_string(Correction correction);
// "holm" or "none"; anything else is a UsageError naming `flag` and the accepted values.
Correction parse_correction(const std::string& text, const std::string& flag);

// Holm-adjusted p-values, in the input's order: with p sorted ascending p(1) <= ... <= p(m),
// adjusted p(i) = max over j <= i of min(1, (m − j + 1)·p(j)). An item is rejected at level alpha
// exactly when its adjusted p <= alpha, which is Holm's procedure (stop at the first p(i) above
// alpha / (m − i + 1)). Ties keep their input order; their adjusted values are equal anyway.
std::vector<double> holm_adjusted(const std::vector<double>& p_values);
// holm_adjusted under Correction::Holm; the p-values themselves under Correction::None.
std::vector<double> adjusted(const std::vector<double>& p_values, Correction correction);

// The smallest two-sided p the U test (u_test.hpp) can give for n_a against n_b values without
// ties: the two sets entirely apart. Where the test is exact (at most kExactMaxSamples a side)
// that is 2 / C(n_a + n_b, n_a): one arrangement of C(n_a + n_b, n_a), each equally likely
// under no change, in each tail (Mann & Whitney 1947): 5 v 5, 2/252 = 0.0079; 6 v 6, 2/924 =
// 0.00216; 7 v 7, 2/3432 = 0.00058. Beyond that, the normal approximation's at sets apart.
double smallest_u_test_p(std::size_t n_a, std::size_t n_b);

// The smallest p the U test can give on these values: each side keeping its own values (and the
// ties among them: a timer's tick), the other side wholly beyond it, as a real change would move
// tonight's runs past the baseline's. Up to kExactMaxSamples a side the test is exact with or
// without ties, and one side wholly beyond the other is one deal of C(n_a + n_b, n_a) in each
// tail: smallest_u_test_p(n_a, n_b) whatever the ties. Beyond, the tie-corrected normal form on
// those ties. Ties *between* the sides (an identical candidate's runs, all one value) are no
// floor: a slower night would not have them, and a floor from them would refuse a gate that can
// fail.
double smallest_u_test_p(std::span<const double> a, std::span<const double> b);

// C(n, k) in double (exact for the run counts here; an approximation beyond 2^53).
double binomial(int n, int k);

}  // namespace tb::compare
