// `trainbench estimate --gpu A,B --mfu M --site S`: the site's PUE and tariff weigh every SKU,
// and its rating is sized in each SKU's GPUs, as one SKU's estimate sizes it; a site built of one
// SKU is refused beside others. Quotes whose currency nothing states are read in USD and said so;
// beside a site priced in another currency they are refused until --currency says which.
// Hand figures: configs/sites/500p.toml is 500 PFLOPS, PUE 1.3, 0.6 CNY per kWh, 3.02e9 CNY.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

const std::vector<std::string> kTwo{"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm,b200", "--mfu", "0.4",
                                    "--days", "30"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& extra) {
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

nlohmann::json json_of(const std::vector<std::string>& args) {
  const auto r = run_trainbench(with(args, {"--json"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
}

TEST(EstimateSkusSiteCli, TheSitesPueAndTariffWeighEverySkuAndItsRatingIsSizedInEach) {
  const auto j = json_of(with(kTwo, {"--site", "500p"}));
  ASSERT_EQ(j["skus"].size(), 2u);
  const double seconds = 30 * 86400.0;
  // GPUs per 500 PFLOPS site at the bf16 peak: 500,000 / 989 = 505.6 -> 506; / 2250 = 222.2 -> 223.
  const int64_t per_site[] = {506, 223};
  const double tdp_w[] = {700, 1000};
  for (size_t i = 0; i < 2; ++i) {
    const auto& s = j["skus"][i];
    EXPECT_EQ(s["site"], "500p");
    EXPECT_EQ(s["site_currency"], "CNY");
    EXPECT_DOUBLE_EQ(s["pue"].get<double>(), 1.3);
    const double mwh = s["gpu_hours"].get<double>() * tdp_w[i] * 1.3 / 1e6;
    EXPECT_NEAR(s["energy_mwh"].get<double>(), mwh, 1e-9 * mwh);
    EXPECT_NEAR(s["electricity_cost"].get<double>(), mwh * 1000 * 0.6, 1e-6 * mwh);
    EXPECT_EQ(s["electricity_currency"], "CNY");
    EXPECT_EQ(s["gpus_per_site"], per_site[i]) << s["sku"];
    // The article's arithmetic, 6*N*D at the site's peak, is the same for every SKU ...
    const double six_nd = 6 * s["params"].get<double>() * 300e9;
    EXPECT_NEAR(s["at_peak"]["sites_needed"].get<double>(), six_nd / (500e15 * seconds), 1e-9);
    // ... and at one MFU with ideal scaling, so are the sites the model's FLOPs need: the SKUs
    // differ in the GPUs those sites hold, not in how many sites.
    const double measured = s["training_model_flops"].get<double>() / (500e15 * 0.4 * seconds);
    EXPECT_NEAR(s["at_measured"]["sites_needed"].get<double>(), measured, 1e-9 * measured);
    EXPECT_NEAR(s["sites_cost"].get<double>(), measured * 3.02e9, 1e-6 * measured * 3.02e9);
    EXPECT_EQ(s["at_measured"]["sites_whole"], static_cast<int64_t>(std::ceil(measured)));
  }
  // Each SKU's entry is what `estimate --gpu X --site S` answers for it alone.
  for (const std::string sku : {"h100-sxm", "b200"}) {
    const auto one = json_of({"estimate", "--model", "gpt3-175b", "--gpu", sku, "--mfu", "0.4", "--days", "30",
                              "--site", "500p"});
    const auto& many = j["skus"][sku == "h100-sxm" ? 0 : 1];
    for (const char* key : {"gpus", "gpus_per_site", "site_currency"}) EXPECT_EQ(one[key], many[key]) << sku << key;
    for (const char* key : {"gpu_hours", "energy_mwh", "electricity_cost", "sites_needed", "sites_cost"})
      EXPECT_DOUBLE_EQ(one[key].get<double>(), many[key].get<double>()) << sku << " " << key;
  }
}

TEST(EstimateSkusSiteCli, TheTableSaysTheSitesFiguresAndSizesTheSitesPerSku) {
  const auto r = run_trainbench(with(kTwo, {"--site", "500p"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("MWh: GPUs at TDP x PUE 1.30 (site 500p's, assumed)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3.02 billion CNY each whatever GPU it is built of), to finish in 30 day(s)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("at peak (the article's arithmetic, any SKU): "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("GPUs per site"), std::string::npos) << r.out;
  // Each SKU's row: its name, then the GPUs a site holds (506 H100s, 223 B200s).
  for (const auto& [sku, gpus] : {std::pair{"h100-sxm", "506"}, {"b200", "223"}}) {
    const size_t row = r.out.find(std::string("  ") + sku + " ", r.out.find("GPUs per site"));
    ASSERT_NE(row, std::string::npos) << r.out;
    const std::string line = r.out.substr(row, r.out.find('\n', row) - row);
    EXPECT_NE(line.find(std::string(" ") + gpus + " "), std::string::npos) << line;
    EXPECT_NE(line.find("CNY"), std::string::npos) << line;
  }
  // One SKU's estimate says the same of its site.
  const auto one = run_trainbench({"estimate", "--gpu", "b200", "--mfu", "0.4", "--days", "30", "--site", "500p"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("one site holds 223 GPUs of b200 (its rating / their bf16 peak)"), std::string::npos)
      << one.out;
  // Without a site the MWh line says where the PUE would come from, and no site section is printed.
  const auto plain = run_trainbench(kTwo);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.out.find("x PUE 1.00 (give --pue or --site for the site's)"), std::string::npos) << plain.out;
  EXPECT_EQ(plain.out.find("Data centers"), std::string::npos) << plain.out;
  // Without --days or --gpus there is no GPU count: the site's deadline is a day, the columns "-".
  const auto uncounted = run_trainbench({"estimate", "--gpu", "h100-sxm,b200", "--mfu", "0.4", "--site", "500p"});
  ASSERT_EQ(uncounted.exit_code, 0) << uncounted.err;
  const size_t h100 = uncounted.out.find("  h100-sxm ");
  ASSERT_NE(h100, std::string::npos) << uncounted.out;
  EXPECT_NE(uncounted.out.substr(h100, uncounted.out.find('\n', h100) - h100).find(" 396       -        -       - "),
            std::string::npos)
      << uncounted.out;
  EXPECT_NE(uncounted.out.find("to finish in 1 day(s)"), std::string::npos) << uncounted.out;
  // --pue replaces the site's, as for one SKU.
  const auto pue = json_of(with(kTwo, {"--site", "500p", "--pue", "1.1"}));
  EXPECT_DOUBLE_EQ(pue["skus"][0]["pue"].get<double>(), 1.1);
}

// A site of H100s describes H100 servers: its network, power and cost are no answer for an H200
// or a B200. Refused as compare refuses such a site beside runs of another SKU, naming the sites
// that can stand for any GPU, and the site's own figures to give by hand.
TEST(EstimateSkusSiteCli, ASiteBuiltOfOneSkuIsRefusedBesideOthers) {
  const auto r = run_trainbench({"estimate", "--gpu", "h100-sxm,h200,b200", "--mfu", "0.4", "--days", "30", "--site",
                                 "h100-1024"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("--site h100-1024 is built of h100-sxm GPUs; --gpu lists h200, b200 too: its network, power "
                       "and cost describe h100-sxm servers only. Give a site built of no one GPU (1000p, 500p), or "
                       "its figures for every SKU by hand: --pue 1.2 --electricity-price 0.08 --currency USD"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  // Those figures by hand give the energy and cost the site would have given.
  const auto j = json_of({"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--days", "30", "--pue", "1.2",
                          "--electricity-price", "0.08", "--currency", "USD"});
  const auto one = json_of({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30", "--site", "h100-1024"});
  EXPECT_DOUBLE_EQ(j["skus"][0]["electricity_cost"].get<double>(), one["electricity_cost"].get<double>());
  EXPECT_EQ(j["skus"][0]["electricity_currency"], one["electricity_currency"]);
}

// h100-sxm and b200 ship without a [price] table: a quote for them is read in USD, and the output
// says so. Beside the CNY site 500p the same 2.5 could be yuan or dollars: refused until --currency
// says which, for one SKU and several, rental and server quotes alike.
TEST(EstimateSkusSiteCli, AQuoteWhoseCurrencyNothingStatesIsUsdSaidSoAndRefusedBesideACnySite) {
  const auto text = run_trainbench(with(kTwo, {"--gpu-hour-price", "2.5", "--server-price", "350000"}));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("--gpu-hour-price read in USD for h100-sxm, b200: neither --currency nor a [price] table in "
                          "their SKU configs states a currency; give --currency if it is in another"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("--server-price read in USD for h100-sxm, b200"), std::string::npos) << text.out;
  const auto j = json_of(with(kTwo, {"--gpu-hour-price", "2.5", "--server-price", "350000"}));
  for (const auto& s : j["skus"]) {
    EXPECT_EQ(s["rental_currency"], "USD");
    EXPECT_EQ(s["rental_currency_assumed"], true);
    EXPECT_EQ(s["server_currency_assumed"], true);
  }
  const auto stated = json_of(with(kTwo, {"--gpu-hour-price", "2.5", "--currency", "USD"}));
  EXPECT_EQ(stated["skus"][0]["rental_currency_assumed"], false);
  const auto one = run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30",
                                   "--gpu-hour-price", "2.5"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("--gpu-hour-price read in USD for h100-sxm: neither --currency nor a [price] table in its "
                         "SKU config states a currency"),
            std::string::npos)
      << one.out;

  for (const auto& args : {with(kTwo, {"--site", "500p", "--gpu-hour-price", "2.5"}),
                           std::vector<std::string>{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30",
                                                    "--site", "500p", "--gpu-hour-price", "2.5"}}) {
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.err.find("--gpu-hour-price 2.5: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("no currency (no --currency, no [price] table)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--site 500p prices in CNY: give --currency USD or --currency CNY to say which the quote is "
                         "in"),
              std::string::npos)
        << r.err;
  }
  const auto server = run_trainbench(with(kTwo, {"--site", "500p", "--server-price", "h100-sxm=350000"}));
  EXPECT_EQ(server.exit_code, 2);
  EXPECT_NE(server.err.find("--server-price h100-sxm=350000: h100-sxm states no currency"), std::string::npos)
      << server.err;
  // Said in USD: the rental stays USD beside the CNY tariff, so the two are not added, and the cost
  // ranking says it weighed the rental alone.
  const auto usd = json_of(with(kTwo, {"--site", "500p", "--gpu-hour-price", "h100-sxm=2.5",
                                       "--gpu-hour-price", "b200=6", "--currency", "USD"}));
  EXPECT_EQ(usd["skus"][0]["rental_currency"], "USD");
  EXPECT_EQ(usd["skus"][0]["electricity_currency"], "CNY");
  EXPECT_FALSE(usd["skus"][0].contains("rental_and_electricity"));
  EXPECT_EQ(usd["best_sku"]["cost_what"], "lowest rental (electricity in CNY not added)");
  // Said in CNY: added up with the site's tariff.
  const auto cny = json_of(with(kTwo, {"--site", "500p", "--gpu-hour-price", "18", "--currency", "CNY"}));
  EXPECT_EQ(cny["best_sku"]["cost_what"], "lowest rental + electricity");
  // Without a SKU (--tflops) nothing states a currency either.
  const auto bare = run_trainbench({"estimate", "--tflops", "400", "--gpus", "1024", "--site", "500p",
                                    "--gpu-hour-price", "2"});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.err.find("--gpu-hour-price 2: the GPU of --tflops states no currency (no --currency, no [price] "
                          "table), and --site 500p prices in CNY"),
            std::string::npos)
      << bare.err;
  // A USD site leaves no doubt: no --currency needed.
  EXPECT_EQ(run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30", "--site", "h100-1024",
                            "--gpu-hour-price", "2.5"})
                .exit_code,
            0);
}

// One --electricity-price for several SKUs at a site replaces its tariff for all: in the site's
// currency where no SKU config states another, refused where one does.
TEST(EstimateSkusSiteCli, OneElectricityPriceAtASiteIsInTheSitesCurrencyUnlessASkuStatesAnother) {
  const auto j = json_of(with(kTwo, {"--site", "500p", "--electricity-price", "0.5"}));
  for (const auto& s : j["skus"]) {
    EXPECT_EQ(s["electricity_currency"], "CNY");
    EXPECT_NEAR(s["electricity_cost"].get<double>(), s["energy_mwh"].get<double>() * 1000 * 0.5, 1e-6);
  }
  const std::string dir = make_temp_dir("tb_skus_site_");
  std::string text = read_text(std::string(TB_SOURCE_DIR) + "/configs/skus/h200.toml");
  text.replace(text.find("name = \"h200\""), 13, "name = \"h200us\"");
  const std::string us = dir + "/h200us.toml";
  write_text(us, text + "\n[price]\ncurrency = \"USD\"\nsource = \"test quote\"\n");
  const auto r = run_trainbench({"estimate", "--gpu", "h100-sxm," + us, "--mfu", "0.4", "--days", "30", "--site",
                                 "500p", "--electricity-price", "0.5"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("--electricity-price 0.5: one price for every SKU and the site, whose configs are in USD"),
            std::string::npos)
      << r.err;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tb::testing
