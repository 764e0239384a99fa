// The winners' rule shared by estimate (several SKUs) and compare (harness/estimate/ranking.hpp).
#include <gtest/gtest.h>

#include "harness/estimate/ranking.hpp"

namespace tb {
namespace {

TEST(Ranking, SmallestAmongUsableWithTwoKnownAndTiesSaid) {
  Smallest s = smallest({{3.0, true}, {2.0, true}, {std::nullopt, true}});
  EXPECT_EQ(s.best, std::optional<size_t>(1));
  EXPECT_TRUE(s.tie.empty());
  // The smaller one cannot be bought: the other wins, known twice.
  s = smallest({{3.0, true}, {2.0, false}});
  EXPECT_EQ(s.best, std::optional<size_t>(0));
  // One known: nothing to compare.
  EXPECT_FALSE(smallest({{3.0, true}, {std::nullopt, true}}).best.has_value());
  s = smallest({{2.0, true}, {2.0 * (1 + 1e-12), true}, {5.0, true}});
  EXPECT_FALSE(s.best.has_value());
  EXPECT_EQ(s.tie, (std::vector<size_t>{0, 1}));
}

// 693,424 USD against 4.03 million CNY: no winner, and which currencies are why.
TEST(Ranking, NoCostWinnerAcrossCurrencies) {
  const CostRanking r = rank_costs({{"h100cn", 4.03e6, "CNY", std::nullopt, true},
                                    {"h200us", 693424, "USD", std::nullopt, true},
                                    {"b200", std::nullopt, "", std::nullopt, true}});
  EXPECT_FALSE(r.winner.smallest.best.has_value());
  EXPECT_EQ(r.winner.why_none, "the quotes are in CNY (h100cn) and USD (h200us)");
  // Whatever the first answer's currency: an unpriced first row does not let every row pass.
  const CostRanking first_unpriced = rank_costs({{"h200", std::nullopt, "", std::nullopt, true},
                                                 {"a", 4.03e6, "CNY", std::nullopt, true},
                                                 {"b", 693424, "USD", std::nullopt, true}});
  EXPECT_FALSE(first_unpriced.winner.smallest.best.has_value());
  EXPECT_FALSE(first_unpriced.winner.why_none.empty());
}

// gpt3-175b at MFU 0.4 in 30 days: h100 2.5 x 223,685 GPU-hours = 559,213 + electricity 24,426 =
// 583,639; a100 0.78 x 709,053 = 553,061 + 44,245 = 597,306. Rental alone names a100, the whole
// bill h100.
TEST(Ranking, TheWholeBillRanksWhereEveryPricedAnswerHasIt) {
  const std::vector<Bill> bills{{"h100-sxm", 559213, "USD", 583639, true},
                                {"a100-sxm-80g", 553061, "USD", 597306, true}};
  CostRanking r = rank_costs(bills);
  EXPECT_TRUE(r.totals);
  EXPECT_EQ(r.what, "lowest rental + electricity");
  EXPECT_EQ(r.winner.smallest.best, std::optional<size_t>(0));
  // One priced answer without its electricity: the rental alone ranks.
  r = rank_costs({bills[0], {"a100-sxm-80g", 553061, "USD", std::nullopt, true}});
  EXPECT_FALSE(r.totals);
  EXPECT_EQ(r.what, "lowest cost");
  EXPECT_EQ(r.winner.smallest.best, std::optional<size_t>(1));
  // Nothing priced: the plain label, no winner.
  r = rank_costs({{"a", std::nullopt, "", std::nullopt, true}, {"b", std::nullopt, "", std::nullopt, true}});
  EXPECT_EQ(r.what, "lowest cost");
  EXPECT_FALSE(r.winner.smallest.best.has_value());
}

// Electricity in another currency than the quotes is not added: the rental alone ranks, and the
// label says that its electricity was left out, not "lowest cost".
TEST(Ranking, ElectricityInAnotherCurrencyIsSaidNotAdded) {
  CostRanking r = rank_costs({{"A", 334711, "USD", std::nullopt, true, "CNY"},
                              {"B", 400000, "USD", std::nullopt, true, "CNY"}});
  EXPECT_FALSE(r.totals);
  EXPECT_EQ(r.what, "lowest rental (electricity in CNY not added)");
  EXPECT_EQ(r.ranked, "rental");
  EXPECT_EQ(r.electricity_not_added, "CNY");
  EXPECT_EQ(r.winner.smallest.best, std::optional<size_t>(0));
  // Electricity in the quotes' currency is added: the whole bill ranks.
  r = rank_costs({{"A", 334711, "USD", 340000, true, "USD"}, {"B", 400000, "USD", 410000, true, "USD"}});
  EXPECT_EQ(r.what, "lowest rental + electricity");
  EXPECT_EQ(r.ranked, "rental + electricity");
  EXPECT_EQ(r.electricity_not_added, "");
}

// One quote among three SKUs ranks nothing; the line says whose quotes are missing rather than
// leaving the winner out without a word. With no quote at all there is nothing to say.
TEST(Ranking, TooFewPricesToRankNameTheUnpriced) {
  CostRanking r = rank_costs({{"h100-sxm", std::nullopt, "", std::nullopt, true},
                              {"h200", 693424, "USD", std::nullopt, true},
                              {"b200", std::nullopt, "", std::nullopt, true}});
  EXPECT_FALSE(r.winner.smallest.best.has_value());
  EXPECT_EQ(r.winner.why_none, "h100-sxm, b200 have no --gpu-hour-price");
  r = rank_costs({{"A", 559213, "USD", std::nullopt, true}, {"B", std::nullopt, "", std::nullopt, true}});
  EXPECT_EQ(r.winner.why_none, "B has no --gpu-hour-price");
  // An answer that cannot be bought is no contender: not named among the missing.
  r = rank_costs({{"A", 559213, "USD", std::nullopt, true},
                  {"B", std::nullopt, "", std::nullopt, false},
                  {"C", std::nullopt, "", std::nullopt, true}});
  EXPECT_EQ(r.winner.why_none, "C has no --gpu-hour-price");
  // The only other answer cannot be bought: A is not crowned alone, and the line says why.
  r = rank_costs({{"A", 559213, "USD", std::nullopt, true}, {"B", std::nullopt, "", std::nullopt, false}});
  EXPECT_FALSE(r.winner.smallest.best.has_value());
  EXPECT_EQ(r.winner.why_none, "only A has a --gpu-hour-price");
  // Two priced: a winner, and nothing to explain.
  r = rank_costs({{"A", 559213, "USD", std::nullopt, true},
                  {"B", 553061, "USD", std::nullopt, true},
                  {"C", std::nullopt, "", std::nullopt, true}});
  EXPECT_EQ(r.winner.smallest.best, std::optional<size_t>(1));
  EXPECT_EQ(r.winner.why_none, "");
  r = rank_costs({{"A", std::nullopt, "", std::nullopt, true}, {"B", std::nullopt, "", std::nullopt, true}});
  EXPECT_EQ(r.winner.why_none, "");
}

TEST(Ranking, ServerPricesInOneCurrencyRankOtherwiseSayWhy) {
  PricedSmallest s =
      smallest_priced({{"h100", 11.7e6, "USD", true}, {"b200", 9e6, "USD", true}}, "server prices", "server price");
  EXPECT_EQ(s.smallest.best, std::optional<size_t>(1));
  EXPECT_EQ(s.why_none, "");
  s = smallest_priced({{"h100", 11.7e6, "USD", true}, {"b200", 63e6, "CNY", true}}, "server prices", "server price");
  EXPECT_FALSE(s.smallest.best.has_value());
  EXPECT_EQ(s.why_none, "the server prices are in USD (h100) and CNY (b200)");
  // An answer that cannot be bought is no contender: its currency does not block the others.
  s = smallest_priced({{"h100", 11.7e6, "USD", true}, {"b200", 63e6, "CNY", false}, {"h200", 12e6, "USD", true}},
                      "server prices", "server price");
  EXPECT_EQ(s.smallest.best, std::optional<size_t>(0));
}

// One server price among several SKUs names no winner (smallest() needs two known figures): the
// line says why instead of vanishing, as the cost line does.
TEST(Ranking, TooFewServerPricesToRankSayWhy) {
  auto why = [](std::vector<PricedCandidate> c) { return smallest_priced(c, "server prices", "server price"); };
  // 39 servers x 420,000 for h200; h100-sxm and b200 unpriced: theirs are missing, h200 not crowned.
  PricedSmallest s = why({{"h100-sxm", std::nullopt, "USD", true},
                          {"h200", 16.38e6, "USD", true, true},
                          {"b200", std::nullopt, "USD", true}});
  EXPECT_FALSE(s.smallest.best.has_value());
  EXPECT_EQ(s.why_none, "h100-sxm, b200 have no server price");
  // The other SKU has no answer at all (too slow for the deadline): only h200 is priced.
  s = why({{"h100-sxm", std::nullopt, "USD", false}, {"h200", 16.38e6, "USD", true, true}});
  EXPECT_FALSE(s.smallest.best.has_value());
  EXPECT_EQ(s.why_none, "only h200 has a server price");
  // The priced SKU is the one without an answer: its price was given, said so.
  s = why({{"h100-sxm", std::nullopt, "USD", false, true}, {"h200", std::nullopt, "USD", true}});
  EXPECT_EQ(s.why_none, "h100-sxm has a server price but no answer");
  // Both priced, neither usable (neither holds the layout): two known, no winner, said so.
  s = why({{"a", 1e6, "USD", false, true}, {"b", 2e6, "USD", false, true}});
  EXPECT_FALSE(s.smallest.best.has_value());
  EXPECT_EQ(s.why_none, "a, b have a server price but no usable answer");
  // No price anywhere: nothing was asked, nothing to say; a single SKU: nothing to rank.
  EXPECT_EQ(why({{"a", std::nullopt, "USD", true}, {"b", std::nullopt, "USD", true}}).why_none, "");
  EXPECT_EQ(why({{"a", 1e6, "USD", true, true}}).why_none, "");
  // A winner or a tie: nothing to explain.
  EXPECT_EQ(why({{"a", 1e6, "USD", true, true}, {"b", 2e6, "USD", true, true}}).why_none, "");
  EXPECT_EQ(why({{"a", 1e6, "USD", true, true}, {"b", 1e6, "USD", true, true}}).why_none, "");
}

}  // namespace
}  // namespace tb
