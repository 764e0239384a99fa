// Price typo guards scaled by the currency's order of magnitude (harness/common/currency.hpp).
#include <gtest/gtest.h>

#include "harness/common/currency.hpp"
#include "tests/support/usage_message.hpp"

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

// Only the table's codes are currencies: any case is read upper-cased; letters it does not know are
// refused, naming where they came from and every accepted code.
TEST(Currency, CheckedCurrencyTakesTheTablesCodesOnly) {
  EXPECT_EQ(checked_currency("usd", "--currency"), "USD");
  EXPECT_EQ(checked_currency("VND", "--currency"), "VND");
  EXPECT_EQ(testing::message_of([] { checked_currency("XYZ", "--currency"); }),
            "--currency: unknown currency 'XYZ'; accepted: AED, AUD, BRL, CAD, CHF, CNY, DKK, EUR, GBP, HKD, IDR, INR, "
            "JPY, KRW, MXN, NOK, PHP, RUB, SAR, SEK, SGD, THB, TWD, USD, VND, ZAR");
  EXPECT_EQ(testing::message_of([] { checked_currency("US$", "s.toml: field 'currency'"); }),
            "s.toml: field 'currency': 'US$' is not a currency code (letters, e.g. USD, EUR, CNY)");
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

// One price typed for several configs is in their currency where they agree (USD with none), and
// refused where they do not, naming the flag, the configs and the values --currency then takes.
TEST(Currency, OnePriceForSeveralConfigsNeedsTheirAgreement) {
  EXPECT_EQ(agreed_currency("--electricity-price 0.1", {}, "every run"), "USD");
  EXPECT_EQ(agreed_currency("--electricity-price 0.1", {{"A", "KRW"}, {"B", "KRW"}}, "every run"), "KRW");
  EXPECT_EQ(agreed_currency("--electricity-price 0.6", {{"site 500p", "CNY"}}, "the configs"), "CNY");
  const std::string two = testing::message_of([] {
    agreed_currency("--electricity-price 0.1", {{"A", "USD"}, {"B", "USD"}, {"site 500p", "CNY"}},
                    "every run and the site");
  });
  EXPECT_EQ(two, "--electricity-price 0.1: one price for every run and the site, whose configs are in USD (A, B) and "
                 "CNY (site 500p): give --currency USD or --currency CNY to say which it is in");
  const std::string three = testing::message_of([] {
    agreed_currency("--gpu-hour-price 2.5", {{"a", "USD"}, {"b", "CNY"}, {"c", "EUR"}}, "every SKU", " (or KEY=PRICE)");
  });
  EXPECT_NE(three.find("give --currency USD, --currency CNY or --currency EUR to say which it is in (or KEY=PRICE)"),
            std::string::npos)
      << three;
}

// A quote whose currency nothing states reads in USD: said, and refused only where a site prices
// in another currency (then the quote could be either).
TEST(Currency, AQuoteWithoutAStatedCurrencyIsUsdExceptBesideASiteInAnother) {
  EXPECT_NO_THROW(refuse_unstated_beside_site("--gpu-hour-price 2", {}, "500p", "CNY"));      // all stated
  EXPECT_NO_THROW(refuse_unstated_beside_site("--gpu-hour-price 2", {"h200"}, "h100-1024", "USD"));  // USD site
  const std::string one = testing::message_of([] {
    refuse_unstated_beside_site("--gpu-hour-price 2", {"h200"}, "500p", "CNY");
  });
  EXPECT_EQ(one, "--gpu-hour-price 2: h200 states no currency (no --currency, no [price] table), and --site 500p "
                 "prices in CNY: give --currency USD or --currency CNY to say which the quote is in");
  const std::string two = testing::message_of([] {
    refuse_unstated_beside_site("--server-price 1e6", {"a", "b"}, "tokyo", "JPY");
  });
  EXPECT_NE(two.find("a, b state no currency"), std::string::npos) << two;
  EXPECT_NE(two.find("give --currency USD or --currency JPY"), std::string::npos) << two;
  EXPECT_EQ(usd_assumed_note("--gpu-hour-price", {}), "");
  EXPECT_EQ(usd_assumed_note("--gpu-hour-price", {"h200"}),
            "--gpu-hour-price read in USD for h200: neither --currency nor a [price] table in its SKU config states a "
            "currency; give --currency if it is in another");
  EXPECT_NE(usd_assumed_note("--server-price", {"A", "B"}).find("for A, B: neither --currency nor a [price] table in "
                                                                "their SKU configs"),
            std::string::npos);
}

}  // namespace
}  // namespace tb
