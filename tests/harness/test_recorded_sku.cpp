// The one reading of a results file's SKU (results::recorded_sku) that estimate, compare, report,
// the consistency check and comm share, and the one rule for which --gpu-hour-price key prices a
// compared run (compare::quote_names_run), which both reading and checking a quote use.
#include <gtest/gtest.h>

#include "harness/compare/side_by_side_prices.hpp"
#include "harness/results/recorded_sku.hpp"

namespace tb {
namespace {

results::RunResults run_on(const std::string& sku) {
  results::RunResults r;
  r.machine.sku = sku;
  return r;
}

TEST(RecordedSku, TheConfigWhereItIsHereElseNone) {
  const auto h100 = results::recorded_sku(run_on("h100-sxm"));
  ASSERT_TRUE(h100.has_value());
  EXPECT_EQ(h100->name, "h100-sxm");
  EXPECT_DOUBLE_EQ(h100->tdp_w, 700);
  // A CPU run, and a file from a machine whose SKU config is not here: no config, no error.
  EXPECT_FALSE(results::recorded_sku(run_on("")).has_value());
  EXPECT_FALSE(results::recorded_sku(run_on("gb300-from-elsewhere")).has_value());
}

TEST(RecordedSku, AQuoteNamesARunByItsLetterOrItsRecordedSku) {
  const compare::LabeledResults a{"a.json", run_on("h100-sxm")}, cpu{"cpu.json", run_on("")};
  EXPECT_TRUE(compare::quote_names_run("A", 0, a));
  EXPECT_TRUE(compare::quote_names_run("h100-sxm", 0, a));
  EXPECT_FALSE(compare::quote_names_run("B", 0, a));
  EXPECT_FALSE(compare::quote_names_run("h200", 0, a));
  EXPECT_TRUE(compare::quote_names_run("B", 1, cpu));
  EXPECT_FALSE(compare::quote_names_run("", 1, cpu));  // no SKU recorded: an empty key names nothing

  compare::SideBySideOptions o;
  o.gpu_hour_price = {{"h100-sxm", 2.5}, {"B", 9}};
  EXPECT_EQ(compare::quoted_price(0, a, o), 2.5);
  EXPECT_EQ(compare::quoted_price(1, cpu, o), 9);
  EXPECT_FALSE(compare::quoted_price(2, cpu, o).has_value());
}

}  // namespace
}  // namespace tb
