// What a buyer reads in estimate's answers: whole sites priced beside the article's fraction, the
// site figures its config assumes said so, which FLOPs a sustained rate counts, the global batch a
// hand layout runs, the at-peak GPU-hours beside the measured ones, a cloud quote's power, a SKU
// without the --dtype left out of a comparison, and the published FLOPs as the table prints them.
// Hand figures: configs/sites/500p.toml is 500 PFLOPS, 3.02e9 CNY, PUE 1.3 and 0.6 CNY/kWh (both
// the config's assumptions); GPT-3 175B is 6 x 174.6e9 x 300e9 = 3.143e23 FLOP (Table D.1's rule).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/results_dir_test.hpp"

namespace tb::testing {
namespace {

// The line of `text` that starts (after its indent) with `start`, from `from` on; "" where none.
std::string line_starting(const std::string& text, const std::string& start, size_t from = 0) {
  const size_t at = text.find(start, from);
  if (at == std::string::npos) return "";
  const size_t begin = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
  return text.substr(begin, text.find('\n', at) - begin);
}

// "245.95 million" for 245,951,234: how human_money prints sums of millions.
std::string fmt_money_millions(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f million", value / 1e6);
  return buf;
}

nlohmann::json json_of(std::vector<std::string> args) {
  args.push_back("--json");
  const auto r = run_trainbench(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
}

class EstimatePurchaseCli : public ResultsDirTest {
 protected:
  EstimatePurchaseCli() : ResultsDirTest("tb_purchase_") {}
};

// At MFU 0.4 for 30 days GPT-3 175B fills 0.623 of a site (its model FLOPs / (500e15 x 0.4 x 30
// days)): the article's investment is 1.88 billion CNY, but one whole site, 3.02 billion, is built.
TEST_F(EstimatePurchaseCli, EachSkusRowPricesTheWholeSitesBuilt) {
  const auto r = run_trainbench({"estimate", "--gpu", "h100-sxm,h200,b200", "--mfu", "0.4", "--days", "30", "--site",
                                 "500p"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t table = r.out.find("cost of the sites built");
  ASSERT_NE(table, std::string::npos) << r.out;
  for (const std::string sku : {"h100-sxm", "h200", "b200"}) {
    const std::string row = line_starting(r.out, "  " + sku + " ", table);
    ASSERT_FALSE(row.empty()) << sku << "\n" << r.out;
    EXPECT_NE(row.find("1.88 billion CNY"), std::string::npos) << row;
    EXPECT_NE(row.find("3.02 billion CNY"), std::string::npos) << row;  // ceil(0.623) = 1 site
  }
  // At peak: 3.143e23 / (500e15 x 30 x 86400) = 0.2425 sites, built as 1.
  EXPECT_NE(r.out.find("0.243 sites = 732.37 million CNY; build 1 = 3.02 billion CNY"), std::string::npos) << r.out;
}

TEST_F(EstimatePurchaseCli, TheSitesAssumedPueAndTariffAreSaidToBeAssumed) {
  const auto one = run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30", "--site", "500p"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("x PUE 1.30 (site 500p's, assumed):"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("0.6 CNY per kWh, the site's, assumed)"), std::string::npos) << one.out;
  const auto many = run_trainbench({"estimate", "--gpu", "h100-sxm,b200", "--mfu", "0.4", "--days", "30", "--site",
                                    "500p"});
  ASSERT_EQ(many.exit_code, 0) << many.err;
  EXPECT_NE(many.out.find("x PUE 1.30 (site 500p's, assumed)"), std::string::npos) << many.out;
  EXPECT_NE(many.out.find("electricity at site 500p's 0.6 CNY per kWh (assumed)"), std::string::npos) << many.out;
  // The article gives the 500P's cost: not starred. 1000p's cost is a linear scaling: starred.
  const auto sites = run_trainbench({"sites"});
  ASSERT_EQ(sites.exit_code, 0) << sites.err;
  const std::string p500 = line_starting(sites.out, "500p ");
  EXPECT_NE(p500.find("3.02 billion CNY   1.30*"), std::string::npos) << p500;
  EXPECT_NE(p500.find("0.6 CNY*"), std::string::npos) << p500;
  EXPECT_NE(line_starting(sites.out, "1000p ").find("6.04 billion CNY*  1.30*"), std::string::npos) << sites.out;
  EXPECT_NE(sites.out.find("*: assumed by the config"), std::string::npos) << sites.out;
}

// A config from before the field reads as before (nothing assumed); a field `assumed` cannot name
// is refused naming the file, the field and the accepted values.
TEST_F(EstimatePurchaseCli, ASiteConfigWithoutAssumptionsStillReadsAndAWrongNameIsRefused) {
  const std::string base = "name = \"mine\"\nsource = \"a quote\"\npeak_pflops = 100\ncost = 1e9\ncurrency = "
                           "\"CNY\"\npue = 1.2\nelectricity_price_per_kwh = 0.5\n";
  write_text(dir_ + "/old.toml", base);
  const auto old = run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30", "--site",
                                   dir_ + "/old.toml"});
  ASSERT_EQ(old.exit_code, 0) << old.err;
  EXPECT_NE(old.out.find("x PUE 1.20 (site mine's):"), std::string::npos) << old.out;
  EXPECT_EQ(old.out.find("(assumed)"), std::string::npos) << old.out;
  EXPECT_EQ(old.out.find(", assumed"), std::string::npos) << old.out;
  write_text(dir_ + "/bad.toml", base + "assumed = [\"tariff\"]\n");
  const auto bad = run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30", "--site",
                                   dir_ + "/bad.toml"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.err.find("bad.toml: field 'assumed' names 'tariff'; accepted values: peak_pflops, cost, pue, "
                         "electricity_price_per_kwh, interconnect.inter_node_gb_s"),
            std::string::npos)
      << bad.err;
}

// `run`'s step model FLOPs over its step time is MFU's count (PaLM's), not the executed FLOPs:
// said so where estimate prints the rate, with the recomputed forward where there is one.
TEST_F(EstimatePurchaseCli, TheSustainedRateSaysWhichFlopsItCounts) {
  const results::RunResults run = synthetic_run({});
  const std::string f = write("h100.json", run);
  const auto r = run_trainbench({"estimate", "--results", f, "--gpus", "1024"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("TFLOP/s per GPU sustained (model FLOPs, PaLM's count: attention unmasked; from results"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("(hardware FLOPs;"), std::string::npos) << r.out;
  const auto j = json_of({"estimate", "--results", f, "--gpus", "1024"});
  EXPECT_NEAR(j["sustained_tflops_per_gpu"].get<double>(), run.step->model_flops / (run.step->step_ms * 1e-3) / 1e12,
              1e-9 * j["sustained_tflops_per_gpu"].get<double>());
  // Causal attention executes half what PaLM counts: the executed rate is the lower one.
  EXPECT_LT(run.step->sustained_tflops, j["sustained_tflops_per_gpu"].get<double>());
  const auto full = run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--recompute", "full", "--gpus",
                                    "1024"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_NE(full.out.find("sustained (PaLM's model-FLOP count plus the full recomputation; from"), std::string::npos)
      << full.out;
}

// tp 8 x pp 12 x dp 256 with 4 virtual stages: GPT-3's 1536 sequences over dp 256 is 6
// micro-batches, not a multiple of pp 12, so m falls to 4 x pp = 48: 48 x 256 = 12,288 sequences,
// 8x the model's. Said as a warning with the batch in sequences and tokens; the model's own
// batch (no interleaving: m = 6) is said to be the model's.
TEST_F(EstimatePurchaseCli, AHandLayoutSaysTheGlobalBatchItRunsAndWarnsWhereItIsNotTheModels) {
  const std::vector<std::string> layout{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--tp", "8", "--pp", "12",
                                        "--dp", "256", "--zero", "1"};
  auto interleaved = layout;
  interleaved.insert(interleaved.end(), {"--virtual-stages", "4"});
  const auto r = run_trainbench(interleaved);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string warning = line_starting(r.out, "WARNING: global batch");
  ASSERT_FALSE(warning.empty()) << r.out;
  EXPECT_NE(warning.find("m 48 x b 1 x dp 256 = 12288 sequences = 25.2 M tokens per optimizer step, 8x "
                         "gpt3-175b's 1536 sequences (3.1 M tokens)"),
            std::string::npos)
      << warning;
  EXPECT_NE(warning.find("groups of pp 12, and 1536 / (b 1 x dp 256) = 6 is not one"), std::string::npos) << warning;
  const auto j = json_of(interleaved);
  EXPECT_EQ(j["scaling"]["global_batch_sequences"], 48 * 256);
  EXPECT_NEAR(j["scaling"]["tokens_per_step"].get<double>(), 48.0 * 256 * 2048, 1e-6);
  const auto own = run_trainbench(layout);
  ASSERT_EQ(own.exit_code, 0) << own.err;
  EXPECT_NE(own.out.find("global batch: m 6 x b 1 x dp 256 = 1536 sequences"), std::string::npos) << own.out;
  EXPECT_NE(own.out.find("gpt3-175b's own"), std::string::npos) << own.out;
  EXPECT_EQ(own.out.find("WARNING: global batch"), std::string::npos) << own.out;
}

// MISSION: GPU-hours and days at peak beside the measured ones. H100 SXM bf16 989 TFLOP/s:
// 3.143e23 / 989e12 / 3600 = 88.3 K GPU-hours, / 1024 / 24 = 3.59 days.
TEST_F(EstimatePurchaseCli, GpuHoursAndDaysAtPeakStandBesideTheMeasured) {
  const std::vector<std::string> args{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1024"};
  const auto j = json_of(args);
  EXPECT_NEAR(j["peak_gpu_hours"].get<double>(), 88.3e3, 0.05e3);
  EXPECT_NEAR(j["peak_gpu_hours"].get<double>(), j["training_flops"].get<double>() / 989e12 / 3600, 1e-6);
  EXPECT_NEAR(j["peak_wall_days"].get<double>(), 3.59, 0.005);
  EXPECT_DOUBLE_EQ(j["peak_tflops"].get<double>(), 989);
  // At MFU 0.4 of the model's (larger) FLOPs the measured GPU-hours are more than 1 / 0.4 of those.
  EXPECT_GT(j["gpu_hours"].get<double>(), j["peak_gpu_hours"].get<double>() / 0.4);
  const auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("at peak (the article's method: 6*N*D at the bf16 peak 989 TFLOP/s, ideal scaling): 88.3 K "
                       "GPU-hours, 3.59 days on 1024 GPUs"),
            std::string::npos)
      << r.out;
  auto sited = args;
  sited.insert(sited.end(), {"--site", "500p"});
  const auto s = run_trainbench(sited);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const std::string hours = line_starting(s.out, "GPU-hours ", s.out.find("Data centers"));
  EXPECT_NE(hours.find("88.3 K"), std::string::npos) << s.out;
  EXPECT_NE(line_starting(s.out, "days on 1024 GPUs", s.out.find("Data centers")).find("3.59"), std::string::npos)
      << s.out;
}

TEST_F(EstimatePurchaseCli, RentalPlusElectricitySaysItIsForAQuoteWithoutPower) {
  const auto one = run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30",
                                   "--gpu-hour-price", "2.5", "--electricity-price", "0.12", "--pue", "1.3"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("rental + electricity: 591,606 USD (the bill for a GPU-hour quote that excludes power; "
                         "where the quote includes it, the rental alone is)"),
            std::string::npos)
      << one.out;
  const auto many = run_trainbench({"estimate", "--gpu", "h100-sxm,b200", "--mfu", "0.4", "--days", "30",
                                    "--gpu-hour-price", "h100-sxm=2.5", "--gpu-hour-price", "b200=5",
                                    "--electricity-price", "0.12"});
  ASSERT_EQ(many.exit_code, 0) << many.err;
  EXPECT_NE(many.out.find("lowest rental + electricity: "), std::string::npos) << many.out;
  EXPECT_NE(many.out.find("(rental + electricity ranks GPU-hour quotes that exclude power; for quotes that include "
                          "it, rank on the rental column)"),
            std::string::npos)
      << many.out;
  // A USD quote beside the site's CNY tariff is not added, and said so rather than left out.
  const auto usd = run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30", "--site", "500p",
                                   "--gpu-hour-price", "2.5", "--currency", "USD"});
  ASSERT_EQ(usd.exit_code, 0) << usd.err;
  EXPECT_NE(usd.out.find("rental + electricity: not added (the rental is in USD, the electricity in CNY)"),
            std::string::npos)
      << usd.out;
}

// Ampere has no fp8 tensor math: the A100 is left out of an fp8 comparison, the H100 compared.
TEST_F(EstimatePurchaseCli, ASkuWithoutTheDtypeIsLeftOutOfAComparisonAndRefusedAlone) {
  const std::vector<std::string> args{"estimate", "--gpu", "a100-sxm-80g,h100-sxm", "--mfu", "0.4", "--days", "30",
                                      "--dtype", "fp8"};
  const auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(line_starting(r.out, "a100-sxm-80g ").find("no fp8 peak: its config lists none"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.err.find("add `fp8"), std::string::npos) << r.err;
  const auto j = json_of(args);
  EXPECT_FALSE(j["skus"][0].contains("gpu_hours")) << j["skus"][0];
  EXPECT_NE(j["skus"][0]["why_not"].get<std::string>().find("no fp8 peak"), std::string::npos);
  // fp8 at 1979 TFLOP/s x 0.4: the H100's answer is there.
  EXPECT_GT(j["skus"][1]["gpu_hours"].get<double>(), 0);
  const auto alone = run_trainbench({"estimate", "--gpu", "a100-sxm-80g", "--mfu", "0.4", "--days", "30", "--dtype",
                                     "fp8"});
  EXPECT_EQ(alone.exit_code, 2) << alone.out;
  EXPECT_NE(alone.err.find("SKU 'a100-sxm-80g' has no fp8 peak: no field 'peak_tflops.fp8' (it lists "),
            std::string::npos)
      << alone.err;
  EXPECT_NE(alone.err.find("Give a --dtype it lists"), std::string::npos) << alone.err;
}

// Table D.1 prints 268 PF-days and 2.31e22 FLOP for GPT-3 13B; 268 x 8.64e19 would be 2.32e22.
TEST_F(EstimatePurchaseCli, ThePublishedComputeQuotesTheTablesOwnFlops) {
  const auto r = run_trainbench({"estimate", "--model", "gpt3-13b"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(published: 268 PF-days = 2.31E+22 FLOP"), std::string::npos) << r.out;
}

// Owning instead of renting: each SKU's servers + the electricity over the training, in the
// servers' currency, and the least of them; checked against the JSON's own server and energy cost.
TEST_F(EstimatePurchaseCli, OwningCostIsServersPlusElectricityBesideLeastToBuy) {
  const std::vector<std::string> args{"estimate", "--gpu", "h100-sxm,b200", "--mfu", "0.4", "--days", "30",
                                      "--server-price", "h100-sxm=300000", "--server-price", "b200=500000",
                                      "--electricity-price", "0.12",
                                      "--currency", "USD"};
  const auto j = json_of(args);
  const auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  double least = 1e300;
  std::string winner;
  for (const auto& s : j["skus"]) {
    const double total = s["server_cost"].get<double>() + s["electricity_cost"].get<double>();
    const std::string line = line_starting(r.out, s["sku"].get<std::string>() + ": servers + electricity");
    EXPECT_FALSE(line.empty()) << r.out;
    // The printed total is the sum to the money format's precision (tested at its millions' digits).
    EXPECT_NE(line.find(fmt_money_millions(total)), std::string::npos) << line << " vs " << total;
    if (total < least) least = total, winner = s["sku"].get<std::string>();
  }
  EXPECT_NE(r.out.find("least to own (servers + electricity, the servers kept after the training): " + winner),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace tb::testing
