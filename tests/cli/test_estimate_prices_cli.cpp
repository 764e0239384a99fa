// `trainbench estimate` prices as a user gives them: currencies, their typo guards, and which SKU
// is named cheapest. GPT-3 175B at MFU 0.4 on a 989 TFLOP/s part (H100 SXM, H200) takes
// 223,685.10 GPU-hours (test_estimate_cli.cpp); in 30 days 311 GPUs, 39 servers of 8; at the
// 700 W TDP and PUE 1, 156.58 MWh.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

class EstimatePricesCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("tb_prices_"); }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  // A copy of configs/skus/<base>.toml named `name`, with a [price] table.
  std::string priced_sku(const std::string& base, const std::string& name, const std::string& price_lines) {
    std::string text = read_text(std::string(TB_SOURCE_DIR) + "/configs/skus/" + base + ".toml");
    const std::string from = "name = \"" + base + "\"";
    EXPECT_NE(text.find(from), std::string::npos) << base;
    text.replace(text.find(from), from.size(), "name = \"" + name + "\"");
    text += "\n[price]\n" + price_lines + "source = \"test quote\"\n";
    const std::string path = dir_ + "/" + name + ".toml";
    write_text(path, text);
    return path;
  }
  std::string dir_;
};

// The SKUs best_sku.ties names as tied on `figure` ("cost", "servers"); [] where none are.
nlohmann::json tied(const nlohmann::json& j, const std::string& figure) {
  for (const auto& t : j["best_sku"]["ties"])
    if (t["figure"] == figure) return t["skus"];
  return nlohmann::json::array();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// 18 CNY x 226,738.59 GPU-hours (test_estimate.cpp) = 4.08 million CNY beside 3.1 USD x
// 226,738.59 = 702,890 USD: not comparable,
// and an unpriced first SKU must not let every row pass the currency check.
TEST_F(EstimatePricesCli, QuotesInDifferentCurrenciesNameNoCostWinner) {
  const std::string cn = priced_sku("h100-sxm", "h100cn", "per_gpu_hour = 18\ncurrency = \"CNY\"\n");
  const std::string us = priced_sku("h200", "h200us", "per_gpu_hour = 3.1\ncurrency = \"USD\"\n");
  auto r = run_trainbench({"estimate", "--gpu", "h100-sxm," + cn + "," + us, "--mfu", "0.4", "--days", "30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("4.08 million CNY"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("702,890 USD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("lowest cost: none — the quotes are in CNY (h100cn) and USD (h200us)\n"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("lowest cost of the priced"), std::string::npos) << r.out;
  r = run_trainbench({"estimate", "--gpu", "h100-sxm," + cn + "," + us, "--mfu", "0.4", "--days", "30", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["best_sku"]["cost"].is_null()) << j["best_sku"].dump();
  EXPECT_EQ(j["best_sku"]["cost_why_none"], "the quotes are in CNY (h100cn) and USD (h200us)");
  EXPECT_TRUE(tied(j, "cost").empty());
}

// One quote among three SKUs ranks nothing: the text and best_sku.cost_why_none say whose are
// missing instead of dropping the "lowest cost" line without a word.
TEST_F(EstimatePricesCli, OneQuoteAmongSeveralSaysWhichHaveNone) {
  const std::vector<std::string> args{"estimate", "--gpu", "h100-sxm,h200,b200", "--mfu", "0.4", "--days", "30",
                                      "--gpu-hour-price", "h200=3.1"};
  auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("lowest cost: none — h100-sxm, b200 have no --gpu-hour-price\n"), std::string::npos) << r.out;
  auto json_args = args;
  json_args.push_back("--json");
  r = run_trainbench(json_args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["best_sku"]["cost"].is_null()) << j["best_sku"].dump();
  EXPECT_EQ(j["best_sku"]["cost_why_none"], "h100-sxm, b200 have no --gpu-hour-price");
}

// compare's rule: with electricity priced for every rented SKU, the whole bill ranks. h100 at
// 2.5 x 226,738.59 = 566,846 + 24,760 electricity (x 0.7 kW x 1.3 x 0.12) = 591,606 USD; a100
// (312 TFLOP/s, 400 W) at 0.78 x 718,732.26 (226,738.59 x 989 / 312) = 560,611 + 44,849 (x 0.4 kW
// x 1.3 x 0.12) = 605,460 USD: the a100 rents for less, the h100 costs less.
TEST_F(EstimatePricesCli, LowestCostRanksRentalPlusElectricityAsCompareDoes) {
  const std::vector<std::string> quotes{"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm,a100-sxm-80g", "--mfu",
                                        "0.4", "--days", "30", "--gpu-hour-price", "h100-sxm=2.5", "--gpu-hour-price",
                                        "a100-sxm-80g=0.78"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = quotes;
    args.insert(args.end(), extra.begin(), extra.end());
    return run_trainbench(args);
  };
  auto r = with({"--electricity-price", "0.12", "--pue", "1.3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("h100-sxm: electricity 24,760 USD; rental + electricity 591,606 USD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("a100-sxm-80g: electricity 44,849 USD; rental + electricity 605,460 USD"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("lowest rental + electricity: h100-sxm\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("lowest cost"), std::string::npos) << r.out;
  r = with({"--electricity-price", "0.12", "--pue", "1.3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["best_sku"]["cost"], "h100-sxm");
  EXPECT_EQ(j["best_sku"]["cost_what"], "lowest rental + electricity");
  // Without electricity the rental alone ranks: 560,611 < 566,846.
  r = with({});
  EXPECT_NE(r.out.find("lowest cost: a100-sxm-80g\n"), std::string::npos) << r.out;
  j = nlohmann::json::parse(with({"--json"}).out);
  EXPECT_EQ(j["best_sku"]["cost"], "a100-sxm-80g");
  EXPECT_EQ(j["best_sku"]["cost_what"], "lowest cost");
  EXPECT_EQ(j["best_sku"]["cost_ranked"], "rental");
  j = nlohmann::json::parse(with({"--electricity-price", "0.12", "--pue", "1.3", "--json"}).out);
  EXPECT_EQ(j["best_sku"]["cost_ranked"], "rental + electricity");
}

// The typo guards are USD-sized (100 per kWh, 1e4 per GPU-hour, 1e8 per server) and scale with
// the currency: KRW x 1e4. 3500 KRW x 226,738.59 GPU-hours = 793.59 million; 170 KRW x
// 158,717.01 kWh (x 0.7 kW) = 26.98 million; 226,738.59 x 3600 s / 30 days = 314.9 -> 315 GPUs,
// 40 servers x 480 million = 19.20 billion.
TEST_F(EstimatePricesCli, PriceLimitsScaleWithTheCurrency) {
  auto r = run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30", "--currency", "KRW",
                           "--gpu-hour-price", "3500", "--electricity-price", "170", "--server-price", "480000000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("rental: 793.59 million KRW"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("electricity: 26.98 million KRW (170 KRW per kWh)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("servers to buy: 19.20 billion KRW"), std::string::npos) << r.out;
  // The same figures in USD are typos, still refused; and a KRW typo past the KRW guard too.
  const std::vector<std::string> base{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30"};
  for (const auto& [extra, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--electricity-price", "170"}, "--electricity-price must be a price in (0, 100] USD per kWh (got 170)"},
           {{"--gpu-hour-price", "35000"}, "--gpu-hour-price '35000': expected a PRICE in (0, 10000] USD per GPU-hour"},
           {{"--server-price", "480000000"}, "--server-price '480000000': expected a PRICE in (0, 1e+08] USD per server"},
           {{"--currency", "KRW", "--electricity-price", "1.7e7"},
            "--electricity-price must be a price in (0, 1e+06] KRW per kWh (got 1.7e+07)"},
           {{"--currency", "krw", "--gpu-hour-price", "h100-sxm=2e8"},
            "--gpu-hour-price h100-sxm=2e+08: the price must be in (0, 1e+08] KRW per GPU-hour"},
           // A code not in the table is refused, naming the flag and the codes it takes.
           {{"--currency", "XAU", "--electricity-price", "2e7"},
            "--currency: unknown currency 'XAU'; accepted: AED, AUD, BRL, CAD, CHF, CNY, DKK, EUR, GBP, HKD, "
            "IDR, INR, JPY, KRW, MXN, NOK, PHP, RUB, SAR, SEK, SGD, THB, TWD, USD, VND, ZAR"},
           {{"--currency", "XYZ", "--gpu-hour-price", "2"}, "--currency: unknown currency 'XYZ'; accepted: AED"}}) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << says;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  }
  // Without --currency a price is in the SKU config's currency, and so is its guard.
  const std::string krw = priced_sku("h100-sxm", "h100kr", "per_gpu_hour = 3500\ncurrency = \"KRW\"\n");
  r = run_trainbench({"estimate", "--gpu", krw, "--mfu", "0.4", "--days", "30", "--electricity-price", "170",
                      "--server-price", "480000000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 793.585 + 26.982 million KRW.
  EXPECT_NE(r.out.find("rental + electricity: 820.57 million KRW"), std::string::npos) << r.out;
}

// One price typed once for SKUs whose configs are in USD (h200) and CNY: which is it in? The
// quotes for a SKU are read in its config's currency, USD without a [price] table, so a rental or
// server price for both is refused; --electricity-price stands for the configs that state a
// currency, and h200's (no [price] table) states none: it is CNY, as compare and report read it.
TEST_F(EstimatePricesCli, OnePriceForSkusInTwoCurrenciesNeedsCurrency) {
  const std::string cn = priced_sku("h100-sxm", "h100cn", "per_gpu_hour = 18\nserver = 2500000\ncurrency = \"CNY\"\n");
  const std::vector<std::string> base{"estimate", "--gpu", "h200," + cn, "--mfu", "0.4", "--days", "30"};
  {
    std::vector<std::string> args = base;
    args.insert(args.end(), {"--electricity-price", "0.1", "--json"});
    const auto r = run_trainbench(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& sku : nlohmann::json::parse(r.out)["skus"]) EXPECT_EQ(sku["electricity_currency"], "CNY");
  }
  for (const auto& [extra, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--gpu-hour-price", "2.5"}, "--gpu-hour-price 2.5: one price for every SKU"},
           {{"--server-price", "400000"}, "--server-price 400000: one price for every SKU"}}) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << says << "\n" << r.out;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("USD (h200) and CNY (" + cn + " (h100cn))"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("give --currency"), std::string::npos) << r.err;
  }
  // --currency says which: both read in USD. Per-SKU quotes are each in their config's currency.
  auto args = base;
  args.insert(args.end(), {"--gpu-hour-price", "2.5", "--electricity-price", "0.1", "--currency", "USD", "--json"});
  auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const auto& sku : j["skus"]) {
    EXPECT_EQ(sku["rental_currency"], "USD") << sku["sku"];
    EXPECT_EQ(sku["electricity_currency"], "USD") << sku["sku"];
  }
  args = base;
  args.insert(args.end(), {"--gpu-hour-price", "h200=2.5", "--gpu-hour-price", "h100cn=18"});
  r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("lowest cost: none — the quotes are in USD (h200) and CNY (h100cn)"), std::string::npos)
      << r.out;
}

// The least to buy in JSON as in the text: 39 servers each, at 350,000 and 420,000.
TEST_F(EstimatePricesCli, JsonNamesTheLeastToBuyAsTheTextDoes) {
  const std::vector<std::string> base{"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--days", "30"};
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return run_trainbench(args);
  };
  auto r = run({"--server-price", "h100-sxm=350000", "--server-price", "h200=420000"});
  EXPECT_NE(r.out.find("least to buy: h100-sxm\n"), std::string::npos) << r.out;
  auto j = nlohmann::json::parse(run({"--server-price", "h100-sxm=350000", "--server-price", "h200=420000", "--json"}).out);
  EXPECT_EQ(j["best_sku"]["servers"], "h100-sxm");
  EXPECT_TRUE(tied(j, "servers").empty());
  // One quote for both: the same 39 servers, a tie.
  j = nlohmann::json::parse(run({"--server-price", "350000", "--json"}).out);
  EXPECT_TRUE(j["best_sku"]["servers"].is_null());
  EXPECT_EQ(tied(j, "servers"), nlohmann::json::array({"h100-sxm", "h200"}));
  // One priced: nothing to compare, and the text and JSON say whose price is missing rather than
  // crowning h200 alone or leaving the line out without a word.
  r = run({"--server-price", "h200=420000"});
  EXPECT_NE(r.out.find("least to buy: none — h100-sxm has no server price\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("least to buy: h200"), std::string::npos) << r.out;
  j = nlohmann::json::parse(run({"--server-price", "h200=420000", "--json"}).out);
  EXPECT_TRUE(j["best_sku"]["servers"].is_null());
  EXPECT_EQ(j["best_sku"]["servers_why_none"], "h100-sxm has no server price");
  // No server price at all: no purchase was asked, so no line and null.
  r = run({});
  EXPECT_EQ(r.out.find("least to buy"), std::string::npos) << r.out;
  j = nlohmann::json::parse(run({"--json"}).out);
  EXPECT_TRUE(j["best_sku"]["servers_why_none"].is_null());
  // Server prices in two currencies: none, saying why.
  const std::string cn = priced_sku("h100-sxm", "h100cn", "server = 2500000\ncurrency = \"CNY\"\n");
  r = run_trainbench({"estimate", "--gpu", "h200," + cn, "--mfu", "0.4", "--days", "30", "--server-price",
                      "h200=420000", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["best_sku"]["servers"].is_null());
  EXPECT_EQ(j["best_sku"]["servers_why_none"], "the server prices are in USD (h200) and CNY (h100cn)");
}

// "206 793.59 million KRW" read as one number (226,738.59 GPU-hours x 0.7 kW x 1.3 = 206 MWh): the cost column is as wide as its longest cell and
// set off by two spaces, its right edge under the header's.
TEST_F(EstimatePricesCli, LongPricesKeepTheirColumnsApart) {
  const auto r = run_trainbench({"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--days", "30", "--currency",
                                 "KRW", "--gpu-hour-price", "3500", "--pue", "1.3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_GE(lines.size(), 4u);
  const size_t header_end = lines[1].find("cost") + 4;
  ASSERT_NE(lines[1].find("cost"), std::string::npos) << r.out;
  for (size_t i = 2; i <= 3; ++i) {
    EXPECT_NE(lines[i].find("206  793.59 million KRW"), std::string::npos) << lines[i];
    EXPECT_EQ(lines[i].find("793.59 million KRW") + 18, header_end) << r.out;
  }
}

// Each SKU once in the accepted keys; a path shown with its config's name.
TEST_F(EstimatePricesCli, UnknownQuoteKeyListsEachSkuOnce) {
  auto r = run_trainbench({"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--days", "30", "--gpu-hour-price",
                           "b200=2.5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'b200' is not one of the SKUs given to --gpu (h100-sxm, h200)\n"), std::string::npos) << r.err;
  const std::string cn = priced_sku("h100-sxm", "h100cn", "per_gpu_hour = 18\ncurrency = \"CNY\"\n");
  r = run_trainbench({"estimate", "--gpu", "h200," + cn, "--mfu", "0.4", "--days", "30", "--gpu-hour-price",
                      "b200=2.5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("(h200, " + cn + " (h100cn))\n"), std::string::npos) << r.err;
  // Priced by its path and by its name: one of the two would go unused.
  r = run_trainbench({"estimate", "--gpu", "h200," + cn, "--mfu", "0.4", "--days", "30", "--gpu-hour-price",
                      cn + "=17", "--gpu-hour-price", "h100cn=18"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(cn + " (h100cn) is priced twice, by " + cn + "=17 and h100cn=18"), std::string::npos) << r.err;
}

// No --gpu was given: the throughput's source names the SKU the site is built of.
TEST_F(EstimatePricesCli, ThroughputNamesTheSitesSku) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--site", "h100-1024", "--mfu", "0.4", "--days", "30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("from SKU h100-sxm (from site h100-1024) --mfu 0.4 (bf16 peak 989 TFLOP/s)"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("--gpu h100-sxm"), std::string::npos) << r.out;
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30"});
  EXPECT_NE(r.out.find("from --gpu h100-sxm --mfu 0.4"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tb::testing
