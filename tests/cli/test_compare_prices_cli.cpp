// `trainbench compare` and `report` prices and sites as a user gives them, by estimate's rules
// (harness/compare/side_by_side_prices.hpp): a price is in --currency, else in its run's SKU
// config's currency; one electricity price for configs in different currencies is refused until
// --currency says which; --site weighs every run's energy with its PUE and tariff. SYNTHETIC runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/results/results_io.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

class ComparePricesCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("tb_compare_prices_");
    fake_chartjs_ = dir_ + "/chart.umd.js";
    write_text(fake_chartjs_, "(function(g,f){typeof exports;define.amd;g.Chart=f()})(this,function(){return "
                              "function(){}})");
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  // A synthetic run of `sku` (a name, or a config file) written as DIR/name.
  std::string run(const std::string& name, const std::string& sku, uint32_t seed) {
    SyntheticRunSpec spec;
    spec.sku = sku;
    spec.seed = seed;
    const std::string path = dir_ + "/" + name;
    results::write_results_file(path, synthetic_run(spec));
    return path;
  }
  // configs/skus/h100-sxm.toml as `name`, priced in `currency`: the same GPU, another price list.
  std::string sku_in(const std::string& name, const std::string& currency) {
    std::string text = read_text(std::string(TB_SOURCE_DIR) + "/configs/skus/h100-sxm.toml");
    const std::string from = "name = \"h100-sxm\"";
    EXPECT_NE(text.find(from), std::string::npos);
    text.replace(text.find(from), from.size(), "name = \"" + name + "\"");
    const std::string path = dir_ + "/" + name + ".toml";
    write_text(path, text + "\n[price]\ncurrency = \"" + currency + "\"\nsource = \"test price list\"\n");
    return path;
  }
  // `compare A B extra...`, or `report A B -o DIR/r.html extra...`.
  std::vector<std::string> args(const std::string& cmd, const std::string& a, const std::string& b,
                                const std::vector<std::string>& extra) const {
    std::vector<std::string> v = {cmd, a, b};
    if (cmd == "report") v.insert(v.end(), {"-o", dir_ + "/r.html", "--chartjs", fake_chartjs_});
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  }
  nlohmann::json compare_json(const std::string& a, const std::string& b, std::vector<std::string> extra) {
    extra.push_back("--json");
    const auto r = run_trainbench(args("compare", a, b, extra));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
  }
  std::string dir_, fake_chartjs_;
};

// Runs of a KRW-priced config: without --currency their quotes are KRW, as estimate reads a price
// for that SKU, and so are the typo guards (x 1e4: 1e8 per GPU-hour, 1e6 per kWh). Before, compare
// and report read them in USD and refused 35000 per GPU-hour and 170 per kWh.
TEST_F(ComparePricesCli, PricesAreInTheRunsSkuConfigCurrencyWithoutCurrency) {
  const std::string kr = sku_in("h100kr", "KRW");
  const std::string a = run("a.json", kr, 1), b = run("b.json", kr, 2);
  for (const std::string cmd : {"compare", "report"}) {
    const auto ok = run_trainbench(args(cmd, a, b, {"--gpu-hour-price", "A=35000", "--electricity-price", "170"}));
    EXPECT_EQ(ok.exit_code, 0) << cmd << ": " << ok.err;
    const auto typo = run_trainbench(args(cmd, a, b, {"--gpu-hour-price", "A=3.5e8"}));
    EXPECT_EQ(typo.exit_code, 2) << cmd;
    EXPECT_NE(typo.err.find("--gpu-hour-price A=3.5e+08: the price must be in (0, 1e+08] KRW per GPU-hour"),
              std::string::npos)
        << typo.err;
  }
  const auto j = compare_json(a, b, {"--gpus", "1024", "--gpu-hour-price", "A=35000", "--electricity-price", "170"});
  const auto& x = j["runs"][0]["extrapolation"];
  EXPECT_EQ(x["rental_currency"], "KRW");
  EXPECT_EQ(x["electricity_currency"], "KRW");
  // Rental = GPU-hours x 35000; electricity = MWh x 1000 kWh x 170, both KRW, so added up.
  EXPECT_NEAR(x["rental_cost"].get<double>(), x["gpu_hours"].get<double>() * 35000, 1e-9 * x["rental_cost"].get<double>());
  EXPECT_NEAR(x["electricity_cost"].get<double>(), x["energy_mwh"].get<double>() * 1000 * 170,
              1e-9 * x["electricity_cost"].get<double>());
  EXPECT_NEAR(x["rental_and_electricity"].get<double>(), x["rental_cost"].get<double>() + x["electricity_cost"].get<double>(),
              1e-6);
  // --currency still names the quotes' currency: the same 35000 in USD is a typo.
  const auto usd = run_trainbench(args("compare", a, b, {"--gpu-hour-price", "A=35000", "--currency", "USD"}));
  EXPECT_EQ(usd.exit_code, 2);
  EXPECT_NE(usd.err.find("--gpu-hour-price A=35000: the price must be in (0, 10000] USD per GPU-hour"),
            std::string::npos)
      << usd.err;
}

// One electricity price for a USD-priced run and a KRW-priced run is in neither until --currency
// says which (estimate refuses one price for SKUs in two currencies alike); per-run quotes are each
// in their run's currency, and no cost winner is named across them. (A run of a config without a
// [price] table states no currency: beside the KRW run the price is KRW, tested below.)
TEST_F(ComparePricesCli, OnePriceForRunsInTwoCurrenciesNeedsCurrency) {
  const std::string a = run("us.json", sku_in("h100us", "USD"), 1), b = run("kr.json", sku_in("h100kr", "KRW"), 2);
  for (const std::string cmd : {"compare", "report"}) {
    const auto r = run_trainbench(args(cmd, a, b, {"--electricity-price", "0.1"}));
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.out;
    EXPECT_NE(r.err.find("--electricity-price 0.1: one price for every run, whose configs are in USD (A) and KRW (B): "
                         "give --currency USD or --currency KRW to say which it is in"),
              std::string::npos)
        << r.err;
    const auto alone = run_trainbench(args(cmd, a, b, {"--currency", "EUR"}));
    EXPECT_EQ(alone.exit_code, 2) << cmd;
    EXPECT_NE(alone.err.find("--currency names the currency of --gpu-hour-price and --electricity-price"),
              std::string::npos)
        << alone.err;
  }
  const auto j = compare_json(a, b, {"--electricity-price", "0.1", "--currency", "USD"});
  for (const auto& run : j["runs"]) EXPECT_EQ(run["extrapolation"]["electricity_currency"], "USD") << run.dump();
  const auto q = run_trainbench(args("compare", a, b, {"--gpu-hour-price", "A=2", "--gpu-hour-price", "B=3500"}));
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.out.find("lowest cost: none — the quotes are in USD (A) and KRW (B)"), std::string::npos) << q.out;
  // h100-sxm's config has no [price] table: nothing to disagree with, so 170 per kWh is KRW for both.
  const auto unpriced = compare_json(run("plain.json", "h100-sxm", 3), b, {"--electricity-price", "170"});
  for (const auto& run : unpriced["runs"]) EXPECT_EQ(run["extrapolation"]["electricity_currency"], "KRW") << run.dump();
}

// The same two runs at two sites, by hand from the site-less figures: configs/sites/500p.toml
// (PUE 1.3, 0.6 CNY per kWh) gives each run 1.3x the energy, costing MWh x 1000 x 0.6 CNY;
// h100-1024.toml (PUE 1.2, 0.08 USD per kWh) 1.2x, at 0.08 USD; the first bill is
// (1.3 x 0.6) / (1.2 x 0.08) = 8.125 times the second. estimate --site gives the same figures.
TEST_F(ComparePricesCli, SiteScalesEveryRunsEnergyAndItsCostByItsPueAndTariff) {
  const std::string a = run("a.json", "h100-sxm", 1), b = run("b.json", "h100-sxm", 2);
  const auto plain = compare_json(a, b, {"--gpus", "1024"});
  const auto cn = compare_json(a, b, {"--gpus", "1024", "--site", "500p"});
  const auto us = compare_json(a, b, {"--gpus", "1024", "--site", "h100-1024"});
  for (size_t i = 0; i < 2; ++i) {
    const auto &p = plain["runs"][i]["extrapolation"], &c = cn["runs"][i]["extrapolation"],
               &u = us["runs"][i]["extrapolation"];
    const double e = p["energy_mwh"].get<double>();
    EXPECT_NEAR(e, p["gpu_hours"].get<double>() * 700 / 1e6, 1e-9 * e);  // the H100's 700 W TDP, PUE 1
    EXPECT_NEAR(c["energy_mwh"].get<double>(), 1.3 * e, 1e-9 * e);
    EXPECT_NEAR(u["energy_mwh"].get<double>(), 1.2 * e, 1e-9 * e);
    EXPECT_NEAR(c["electricity_cost"].get<double>(), 1.3 * e * 1000 * 0.6, 1e-9 * e * 1000);
    EXPECT_NEAR(u["electricity_cost"].get<double>(), 1.2 * e * 1000 * 0.08, 1e-9 * e * 100);
    EXPECT_NEAR(c["electricity_cost"].get<double>() / u["electricity_cost"].get<double>(), 8.125, 1e-9);
    EXPECT_EQ(c["electricity_currency"], "CNY");
    EXPECT_EQ(u["electricity_currency"], "USD");
    EXPECT_DOUBLE_EQ(c["pue"].get<double>(), 1.3);
    EXPECT_TRUE(p["electricity_cost"].is_null());
  }
  EXPECT_EQ(cn["site"]["name"], "500p");
  EXPECT_EQ(cn["electricity_source"], "site 500p");
  EXPECT_TRUE(plain["site"].is_null());
  // estimate --results A --gpus 1024 --site 500p: the same energy and cost for run A.
  const auto est = run_trainbench({"estimate", "--results", a, "--gpus", "1024", "--site", "500p", "--json"});
  ASSERT_EQ(est.exit_code, 0) << est.err;
  const auto ej = nlohmann::json::parse(est.out);
  const auto& c = cn["runs"][0]["extrapolation"];
  EXPECT_NEAR(ej["energy_mwh"].get<double>(), c["energy_mwh"].get<double>(), 1e-12 * c["energy_mwh"].get<double>());
  EXPECT_NEAR(ej["electricity_cost"].get<double>(), c["electricity_cost"].get<double>(),
              1e-12 * c["electricity_cost"].get<double>());
  EXPECT_EQ(ej["electricity_currency"], "CNY");
  // The table says where the figures come from.
  const auto text = run_trainbench(args("compare", a, b, {"--site", "500p"}));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  // Both are the 500P config's assumptions, not the article's: said so.
  EXPECT_NE(text.out.find("site 500p: PUE 1.30 (assumed), electricity 0.6 CNY per kWh (assumed)"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("energy (MWh, PUE 1.30)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("electricity (site 500p)"), std::string::npos) << text.out;
  // A USD rental beside a CNY tariff is not added up; beside a USD one it is (estimate's rule).
  const auto rent_cn = compare_json(a, b, {"--gpu-hour-price", "A=2", "--currency", "USD", "--site", "500p"});
  const auto rent_us = compare_json(a, b, {"--gpu-hour-price", "A=2", "--site", "h100-1024"});
  EXPECT_TRUE(rent_cn["runs"][0]["extrapolation"]["rental_and_electricity"].is_null());
  EXPECT_TRUE(rent_us["runs"][0]["extrapolation"]["rental_and_electricity"].is_number());
  // The report carries the site too.
  const auto rep = run_trainbench(args("report", a, b, {"--site", "500p"}));
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const std::string html = read_text(dir_ + "/r.html");
  EXPECT_NE(html.find("\"electricity_source\":\"site 500p\""), std::string::npos);
  EXPECT_NE(html.find("\"site\":{"), std::string::npos);
}

// Beside a CNY tariff the USD quotes rank alone, and every output says so: the text and the
// report's line "lowest rental (electricity in CNY not added)", the JSON `cost_ranked` "rental".
// Beside a USD tariff the whole bill ranks; without electricity, "lowest cost".
TEST_F(ComparePricesCli, LowestCostSaysWhenElectricityInAnotherCurrencyIsNotAdded) {
  const std::string a = run("a.json", "h100-sxm", 1), b = run("b.json", "h100-sxm", 2);
  const std::vector<std::string> quotes{"--gpu-hour-price", "A=2", "--gpu-hour-price", "B=3"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), quotes.begin(), quotes.end());
    return extra;
  };
  // h100-sxm's config states no currency: beside the CNY site --currency says the quotes are USD.
  const auto text = run_trainbench(args("compare", a, b, with({"--site", "500p", "--currency", "USD"})));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("lowest rental (electricity in CNY not added): A"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("lowest cost"), std::string::npos) << text.out;
  const auto cn = compare_json(a, b, with({"--site", "500p", "--currency", "USD"}));
  EXPECT_EQ(cn["best"]["cost"], 0);
  EXPECT_EQ(cn["best"]["cost_what"], "lowest rental (electricity in CNY not added)");
  EXPECT_EQ(cn["best"]["cost_ranked"], "rental");
  const auto us = compare_json(a, b, with({"--site", "h100-1024"}));
  EXPECT_EQ(us["best"]["cost_what"], "lowest rental + electricity");
  EXPECT_EQ(us["best"]["cost_ranked"], "rental + electricity");
  const auto plain = compare_json(a, b, with({}));
  EXPECT_EQ(plain["best"]["cost_what"], "lowest cost");
  EXPECT_EQ(plain["best"]["cost_ranked"], "rental");
  const auto rep = run_trainbench(args("report", a, b, with({"--site", "500p", "--currency", "USD"})));
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const std::string html = read_text(dir_ + "/r.html");
  EXPECT_NE(html.find("\"cost_what\":\"lowest rental (electricity in CNY not added)\""), std::string::npos);
  EXPECT_NE(html.find("\"cost_ranked\":\"rental\""), std::string::npos);
}

// A quote for a run whose SKU config has no [price] table is read in USD, and every output says so
// (text, JSON notes and the report's notes); beside the CNY site 500p the quote could be USD or CNY:
// refused until --currency says which, in compare and report alike. A config that states its
// currency needs no --currency, and neither does a site that prices in USD.
TEST_F(ComparePricesCli, QuoteWithoutAStatedCurrencyIsUsdSaidSoAndRefusedBesideAnotherSitesCurrency) {
  const std::string a = run("a.json", "h100-sxm", 1), b = run("b.json", "h100-sxm", 2);
  const std::string note =
      "--gpu-hour-price read in USD for A, B: neither --currency nor a [price] table in their SKU configs states a "
      "currency; give --currency if it is in another";
  const std::vector<std::string> quotes{"--gpu-hour-price", "A=2", "--gpu-hour-price", "B=3"};
  const auto text = run_trainbench(args("compare", a, b, quotes));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("note: " + note), std::string::npos) << text.out;
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), quotes.begin(), quotes.end());
    return extra;
  };
  const auto j = compare_json(a, b, quotes);
  EXPECT_NE(std::find(j["notes"].begin(), j["notes"].end(), note), j["notes"].end()) << j["notes"].dump();
  EXPECT_EQ(j["runs"][0]["extrapolation"]["rental_currency"], "USD");
  EXPECT_EQ(j["runs"][0]["extrapolation"]["rental_currency_assumed"], true);
  const auto stated = compare_json(a, b, with({"--currency", "USD"}));
  EXPECT_EQ(stated["runs"][0]["extrapolation"]["rental_currency_assumed"], false);
  EXPECT_EQ(stated["notes"].dump().find("read in USD"), std::string::npos) << stated["notes"].dump();
  for (const std::string cmd : {"compare", "report"}) {
    const auto r = run_trainbench(args(cmd, a, b, with({"--site", "500p"})));
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.out;
    EXPECT_NE(r.err.find("--gpu-hour-price A=2, B=3: A, B state no currency (no --currency, no [price] table), and "
                         "--site 500p prices in CNY: give --currency USD or --currency CNY to say which the quote is in"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(run_trainbench(args(cmd, a, b, with({"--site", "500p", "--currency", "CNY"}))).exit_code, 0) << cmd;
    EXPECT_EQ(run_trainbench(args(cmd, a, b, with({"--site", "h100-1024"}))).exit_code, 0) << cmd;  // USD site
  }
  // A run of a config priced in CNY: its quote is CNY, beside the CNY site too, with no note.
  const std::string c = run("cn.json", sku_in("h100cn", "CNY"), 3);
  const auto cn = compare_json(c, a, {"--gpu-hour-price", "A=18", "--site", "500p"});
  EXPECT_EQ(cn["runs"][0]["extrapolation"]["rental_currency"], "CNY");
  EXPECT_EQ(cn["runs"][0]["extrapolation"]["rental_currency_assumed"], false);
  EXPECT_EQ(cn["notes"].dump().find("read in USD"), std::string::npos) << cn["notes"].dump();
  // The report's page says it where the data carries it.
  const auto rep = run_trainbench(args("report", a, b, quotes));
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_NE(read_text(dir_ + "/r.html").find(note), std::string::npos);
}

// --currency takes the codes of harness/common/currency.cpp's table only: an unknown one is exit 2
// naming the flag and the codes, in compare and report alike (estimate: test_estimate_prices_cli).
TEST_F(ComparePricesCli, UnknownCurrencyIsRefusedNamingTheFlagAndTheCodes) {
  const std::string a = run("a.json", "h100-sxm", 1), b = run("b.json", "h100-sxm", 2);
  for (const std::string cmd : {"compare", "report"}) {
    const auto r = run_trainbench(args(cmd, a, b, {"--gpu-hour-price", "A=2", "--currency", "XYZ"}));
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.out;
    EXPECT_NE(r.err.find("--currency: unknown currency 'XYZ'; accepted: AED, AUD, BRL, CAD, CHF, CNY, DKK, EUR, GBP, "
                         "HKD, IDR, INR, JPY, KRW, MXN, NOK, PHP, RUB, SAR, SEK, SGD, THB, TWD, USD, VND, ZAR"),
              std::string::npos)
        << r.err;
  }
  const auto eur = run_trainbench(args("compare", a, b, {"--gpu-hour-price", "A=2", "--currency", "eur"}));
  EXPECT_EQ(eur.exit_code, 0) << eur.err;
}

// An unknown site is the catalog's one message, naming the flag, the accepted names and the near
// miss; a site of H100s takes no H200 run; the regression gate reads no site.
TEST_F(ComparePricesCli, SiteRefusalsNameTheFlagAndWhatItAccepts) {
  const std::string a = run("a.json", "h100-sxm", 1), b = run("b.json", "h100-sxm", 2);
  for (const std::string cmd : {"compare", "report"}) {
    const auto r = run_trainbench(args(cmd, a, b, {"--site", "50p"}));
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_NE(r.err.find("--site: unknown site '50p' (did you mean 500p?); valid names: 1000p, 500p, a100-1024, "
                         "h100-1024 (or a path to a .toml file)"),
              std::string::npos)
        << r.err;
  }
  SyntheticRunSpec h200;
  h200.sku = "h200";
  const std::string c = dir_ + "/h200.json";
  results::write_results_file(c, synthetic_run(h200));
  const auto other = run_trainbench(args("compare", a, c, {"--site", "h100-1024"}));
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("--site h100-1024 is built of h100-sxm GPUs; run B (" + c + ") was measured on h200"),
            std::string::npos)
      << other.err;
  const auto gate = run_trainbench({"compare", "--baseline", a, b, "--site", "500p"});
  EXPECT_EQ(gate.exit_code, 2);
  EXPECT_NE(gate.err.find("--site: only the side-by-side comparison reads these"), std::string::npos) << gate.err;
}

// One electricity price beside the CNY site 500p: runs of h100-sxm, whose config has no [price]
// table and so no currency of its own, read it in CNY (before: refused as "USD (A, B) and CNY");
// runs of a config priced in USD are in USD and CNY at once, refused until --currency says which.
// compare and report alike, and estimate too (below).
TEST_F(ComparePricesCli, ElectricityPriceBesideASiteCountsOnlyPricedConfigs) {
  const std::string a = run("a.json", "h100-sxm", 1), b = run("b.json", "h100-sxm", 2);
  const auto j = compare_json(a, b, {"--gpus", "1024", "--site", "500p", "--electricity-price", "0.5"});
  for (size_t i = 0; i < 2; ++i) {
    const auto& x = j["runs"][i]["extrapolation"];
    EXPECT_EQ(x["electricity_currency"], "CNY");
    EXPECT_NEAR(x["electricity_cost"].get<double>(), x["energy_mwh"].get<double>() * 1000 * 0.5,
                1e-9 * x["electricity_cost"].get<double>());
  }
  EXPECT_EQ(j["electricity_source"], "--electricity-price");
  const std::string us = sku_in("h100us", "USD");
  const std::string pa = run("pa.json", us, 1), pb = run("pb.json", us, 2);
  for (const std::string cmd : {"compare", "report"}) {
    const auto ok = run_trainbench(args(cmd, a, b, {"--site", "500p", "--electricity-price", "0.5"}));
    EXPECT_EQ(ok.exit_code, 0) << cmd << ": " << ok.err;
    const auto refused = run_trainbench(args(cmd, pa, pb, {"--site", "500p", "--electricity-price", "0.1"}));
    EXPECT_EQ(refused.exit_code, 2) << cmd;
    EXPECT_NE(refused.err.find("--electricity-price 0.1: one price for every run and the site, whose configs are in "
                               "USD (A, B) and CNY (site 500p): give --currency USD or --currency CNY to say which it "
                               "is in"),
              std::string::npos)
        << cmd << ": " << refused.err;
    const auto said = run_trainbench(args(cmd, pa, pb, {"--site", "500p", "--electricity-price", "0.1", "--currency",
                                                        "CNY"}));
    EXPECT_EQ(said.exit_code, 0) << cmd << ": " << said.err;
  }
}

// estimate's electricity price with a site: the SKU's and the site's configs must agree on its
// currency, or --currency says it. 500p is CNY, the H100 config USD; h100-1024 is USD.
TEST_F(ComparePricesCli, EstimateElectricityPriceBesideASiteNeedsTheirCurrency) {
  const std::vector<std::string> base{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30"};
  auto with = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> v = base;
    v.insert(v.end(), extra.begin(), extra.end());
    return run_trainbench(v);
  };
  // h100-sxm's config has no [price] table: no currency to disagree with the site's CNY.
  auto r = with({"--site", "500p", "--electricity-price", "0.5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["electricity_currency"], "CNY");
  EXPECT_NEAR(j["electricity_cost"].get<double>(), j["energy_mwh"].get<double>() * 1000 * 0.5, 1e-6);
  // A config priced in USD beside it: either currency, so refused until --currency says.
  const std::string us = sku_in("h100us", "USD");
  r = run_trainbench({"estimate", "--gpu", us, "--mfu", "0.4", "--days", "30", "--site", "500p", "--electricity-price",
                      "0.5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--electricity-price 0.5: one price for the SKU and the site, whose configs are in USD (" + us +
                       " (h100us)) and CNY (site 500p): give --currency USD or --currency CNY to say which it is in"),
            std::string::npos)
      << r.err;
  r = run_trainbench({"estimate", "--gpu", us, "--mfu", "0.4", "--days", "30", "--site", "500p", "--electricity-price",
                      "0.5", "--currency", "CNY", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["electricity_currency"], "CNY");
  EXPECT_NEAR(j["electricity_cost"].get<double>(), j["energy_mwh"].get<double>() * 1000 * 0.5, 1e-6);
  // Several SKUs: the unpriced one is not counted beside a KRW-priced one (before: "USD (h100-sxm)
  // and KRW"), so 170 per kWh is KRW for both.
  r = run_trainbench({"estimate", "--gpu", "h100-sxm," + sku_in("h100kr", "KRW"), "--mfu", "0.4", "--gpus", "1024",
                      "--electricity-price", "170", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["skus"].size(), 2u);
  for (const auto& sku : j["skus"]) EXPECT_EQ(sku["electricity_currency"], "KRW") << sku["sku"];
  r = with({"--site", "h100-1024", "--electricity-price", "0.1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["electricity_currency"], "USD");
  r = with({"--site", "50p"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--site: unknown site '50p' (did you mean 500p?)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tb::testing
