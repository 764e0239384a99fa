// Numbers for people keep their precision at every size: a small model's PF-days is not "0.1",
// a fraction of a data center not "0.03" beside "0.00522".
#include <gtest/gtest.h>

#include "harness/common/human_format.hpp"

namespace tb {
namespace {

TEST(HumanFormat, PfDaysKeepFourSignificantDigitsBelowAThousand) {
  EXPECT_EQ(human_pf_days(3637.6), "3637.6");   // the article's scenario, as estimate prints it
  EXPECT_EQ(human_pf_days(439674.54), "439674.5");
  EXPECT_EQ(human_pf_days(0.080375), "0.08038");  // GPT-2 Small: 6.944e18 FLOP
  EXPECT_EQ(human_pf_days(12.3456), "12.35");
}

TEST(HumanFormat, SitesHaveTwoDecimalsFromOneAndThreeDigitsBelow) {
  EXPECT_EQ(human_sites(7.275), "7.28");  // the article's 7.28
  EXPECT_EQ(human_sites(0.0312), "0.0312");
  EXPECT_EQ(human_sites(0.00522), "0.00522");
  EXPECT_EQ(human_sites(0.000121), "1.21e-04");  // one form below a thousandth, not %g's two
  EXPECT_EQ(human_sites(1.62e-05), "1.62e-05");
  EXPECT_EQ(human_integer(1567.4), "1,567");
  EXPECT_EQ(human_integer(129512), "129,512");
  EXPECT_EQ(human_integer(999), "999");
  EXPECT_EQ(human_integer(1e9), "1,000,000,000");
  EXPECT_EQ(human_integer(-1234), "-1,234");
  EXPECT_EQ(among_priced("lowest cost", {}), "lowest cost");
  EXPECT_EQ(among_priced("lowest cost", {"b200"}), "lowest cost of the priced (b200 has no price)");
  EXPECT_EQ(among_priced("least to buy", {"a", "b"}, "server price"),
            "least to buy of the priced (a, b have no server price)");
}

// The article's 21.97 billion yuan, and every smaller sum readable digit group by digit group.
TEST(HumanFormat, MoneyIsReadableAtEverySize) {
  EXPECT_EQ(human_money(7.275 * 3.02e9, "CNY"), "21.97 billion CNY");
  EXPECT_EQ(human_money(2.5e12, "USD"), "2.50 trillion USD");
  EXPECT_EQ(human_money(3.02e6, "USD"), "3.02 million USD");
  EXPECT_EQ(human_money(583639.4, "USD"), "583,639 USD");
  EXPECT_EQ(human_money(999999.4, "USD"), "999,999 USD");
  EXPECT_EQ(human_money(1000, "KRW"), "1,000 KRW");
  EXPECT_EQ(human_money(12.5, "USD"), "12.50 USD");  // a small run's electricity keeps its cents
  EXPECT_EQ(human_money(-24426, "USD"), "-24,426 USD");
}

TEST(HumanFormat, MoneyPicksItsUnitAfterRounding) {
  EXPECT_EQ(human_money(999.994, "USD"), "999.99 USD");
  EXPECT_EQ(human_money(999.996, "USD"), "1,000 USD");
  EXPECT_EQ(human_money(999999.5, "USD"), "1.00 million USD");
  EXPECT_EQ(human_money(999994999, "USD"), "999.99 million USD");
  EXPECT_EQ(human_money(999999999, "USD"), "1.00 billion USD");
  EXPECT_EQ(human_money(999.999e9, "USD"), "1.00 trillion USD");
  EXPECT_EQ(human_money(1e12, "USD"), "1.00 trillion USD");
  EXPECT_EQ(human_money(-999999.5, "CNY"), "-1.00 million CNY");
  EXPECT_EQ(human_money(-0.001, "USD"), "0.00 USD");  // not "-0.00"
  EXPECT_EQ(human_money(0, "USD"), "0.00 USD");
  EXPECT_EQ(human_money(2.5e15, "USD"), "2500.00 trillion USD");  // the largest unit takes what is left
}

TEST(HumanFormat, BytesInDecimalUnits) {
  EXPECT_EQ(human_bytes_si(2.79e12), "2.79 TB");
  EXPECT_EQ(human_bytes_si(2.0e9), "2.00 GB");  // a small model's state, not "0.00 TB"
  EXPECT_EQ(human_bytes_si(5.12e8), "512 MB");
  EXPECT_EQ(human_bytes_si(3.932e5), "393 KB");  // a layer norm's rows: not "0.393 MB"
  EXPECT_EQ(human_bytes_si(64), "64 B");
  // At each boundary the unit that keeps three digits without an exponent or a 1000.
  EXPECT_EQ(human_bytes_si(999.6e6), "1.00 GB");
  EXPECT_EQ(human_bytes_si(999.7e3), "1 MB");
  EXPECT_EQ(human_bytes_si(999.999e9), "1.00 TB");
  EXPECT_EQ(human_bytes_si(2.012e9), "2.01 GB");  // cross_entropy at seq 5000, once "2.01 BB"
}

}  // namespace
}  // namespace tb
