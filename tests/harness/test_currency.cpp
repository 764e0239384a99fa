// Price typo guards scaled by the currency's order of magnitude (harness/common/currency.hpp).
#include <gtest/gtest.h>

#include "harness/common/currency.hpp"

namespace tb {
namespace {

// Units per USD rounded up to a power of ten: KRW ~1,350 -> 1e4, JPY ~150 -> 1e3, INR ~83 -> 100,
// CNY ~7.2 -> 10; a code not in the table gets the largest factor, so no real price is refused.
TEST(Currency, FactorIsTheOrderOfMagnitudeRoundedUp) {
  EXPECT_EQ(currency_factor("USD"), 1);
  EXPECT_EQ(currency_factor("EUR"), 1);
  EXPECT_EQ(currency_factor("CNY"), 10);
  EXPECT_EQ(currency_factor("SEK"), 100);  // ~10.5 per USD: rounded up past 10
  EXPECT_EQ(currency_factor("INR"), 100);
  EXPECT_EQ(currency_factor("JPY"), 1000);
  EXPECT_EQ(currency_factor("KRW"), 10000);
  EXPECT_EQ(currency_factor("krw"), 10000);  // a config may write it in lower case
  EXPECT_EQ(currency_factor("VND"), 100000);
  EXPECT_EQ(currency_factor("XYZ"), 100000);
}

TEST(Currency, RangeNamesTheLimitInTheCurrency) {
  EXPECT_EQ(price_limit(100, "KRW"), 1e6);
  EXPECT_EQ(price_range(100, "KRW", "per kWh"), "(0, 1e+06] KRW per kWh");
  EXPECT_EQ(price_range(100, "USD", "per kWh"), "(0, 100] USD per kWh");
  EXPECT_EQ(price_range(1e8, "KRW", "per server"), "(0, 1e+12] KRW per server");
}

TEST(Currency, CurrenciesByLabelListEachCurrencyOnceWithWhatIsPricedInIt) {
  EXPECT_EQ(currencies_by_label({{"h200us", "USD"}, {"h100cn", "CNY"}}), "USD (h200us) and CNY (h100cn)");
  EXPECT_EQ(currencies_by_label({{"a", "USD"}, {"b", "CNY"}, {"c", "USD"}, {"d", "EUR"}}),
            "USD (a, c), CNY (b) and EUR (d)");
  EXPECT_EQ(currencies_by_label({{"a", "USD"}, {"b", "USD"}}), "");
  EXPECT_EQ(currencies_by_label({}), "");
}

}  // namespace
}  // namespace tb
