// `trainbench estimate | models | skus | sites` as a user runs them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

TEST(EstimateCli, ArticleScenarioAtPeak) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--tokens", "300B", "--site", "500p", "--days", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3637.6 PF-days"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("7.28 (build 8)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("21.97 billion CNY"), std::string::npos) << r.out;
}

// A GPU and a fleet without a throughput ask how long: the answer says what it needs.
TEST(EstimateCli, AGpuWithoutAThroughputSaysWhatTheDaysNeed) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--gpus", "1024"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Time, GPU-hours and cost: give a throughput (--mfu with --gpu, --tflops, or --results"),
            std::string::npos)
      << r.out;
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--gpus", "1024", "--mfu", "0.4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("give a throughput"), std::string::npos) << r.out;
}

// GPT-1's tokens are the config's estimate (100 epochs of ~1e9 tokens; the paper gives none), and
// every figure from them says so: 6 x 116.5 M x 1e11 = 6.99e19 FLOP = 0.809 PF-days.
TEST(EstimateCli, AnEstimatedTokenCountIsSaidWhereverItSetsAFigure) {
  auto r = run_trainbench({"estimate", "--model", "gpt1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("100.00 B tokens (estimated: 100 epochs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("= 0.809"), std::string::npos) << r.out;
  auto j = nlohmann::json::parse(run_trainbench({"estimate", "--model", "gpt1", "--json"}).out);
  EXPECT_NEAR(j["pf_days"].get<double>(), 6 * 116.5e6 * 1e11 / 8.64e19, 0.001);
  EXPECT_NE(j["tokens_estimated"].get<std::string>().find("100 epochs"), std::string::npos);
  // The user's own count is no estimate of the config's.
  r = run_trainbench({"estimate", "--model", "gpt1", "--tokens", "2e11"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("estimated"), std::string::npos) << r.out;
  EXPECT_FALSE(nlohmann::json::parse(run_trainbench({"estimate", "--model", "gpt1", "--tokens", "2e11", "--json"}).out)
                   .contains("tokens_estimated"));
  // models marks it, and says what the mark means.
  r = run_trainbench({"models"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("100.00 B~"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("~: estimated"), std::string::npos) << r.out;
}

// With --site, --days is the sites' deadline and --gpus this fleet: a fleet too small for the
// deadline says so in its one-line answer, beside the data centers that meet it.
TEST(EstimateCli, AFixedFleetThatMissesTheSitesDeadlineSaysSo) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "64",
                           "--days", "30", "--site", "500p"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 226,738.5891 GPU-hours (test_estimate.cpp) / 64 / 24 = 147.6 days, 117.6 past the deadline.
  EXPECT_NE(r.out.find("for 148 days"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("they MISS the 30-day deadline by 118 days (the data centers below meet it)"),
            std::string::npos) << r.out;
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1024",
                      "--days", "30", "--site", "500p"});
  EXPECT_EQ(r.out.find("MISS"), std::string::npos) << r.out;  // 9.1 days: in time
}

// The energy's price, and what renting costs in all: 226,738.5891 GPU-hours (test_estimate.cpp)
// x 0.7 kW x PUE 1.3 = 206.3 MWh, x 0.12 = 24,759.85 USD beside 566,846.47 USD of rental
// (x 2.5): 591,606.33 USD.
TEST(EstimateCli, ElectricityPriceGivesTheEnergysCostAndTheTotal) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30",
                           "--gpu-hour-price", "2.5", "--electricity-price", "0.12", "--pue", "1.3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["electricity_cost"].get<double>(), j["energy_mwh"].get<double>() * 1000 * 0.12, 1e-6);
  EXPECT_EQ(j["electricity_currency"], "USD");
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30",
                      "--gpu-hour-price", "2.5", "--electricity-price", "0.12", "--pue", "1.3"});
  EXPECT_NE(r.out.find("electricity: 24,760 USD (0.12 USD per kWh)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rental + electricity: 591,606 USD"), std::string::npos) << r.out;
  // Several SKUs each bring their TDP: --pue and --electricity-price apply to every one.
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm,b200", "--mfu", "0.4", "--days", "30",
                      "--pue", "1.3", "--electricity-price", "0.12"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("MWh: GPUs at TDP x PUE 1.30"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("b200: electricity"), std::string::npos) << r.out;
  // --currency names the electricity price's currency here: a SKU config's USD rental keeps USD,
  // and the two are not added up, said so rather than left out.
  const std::string dir = make_temp_dir("tb_price_");
  write_text(dir + "/rented.toml", read_text(std::string(TB_SOURCE_DIR) + "/configs/skus/h100-sxm.toml") +
                                       "\n[price]\nper_gpu_hour = 2.5\ncurrency = \"USD\"\nsource = \"test quote\"\n");
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", dir + "/rented.toml", "--mfu", "0.4", "--days",
                      "30", "--electricity-price", "0.8", "--currency", "CNY"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("rental: 566,846 USD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CNY per kWh"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rental + electricity: not added (the rental is in USD, the electricity in CNY)"),
            std::string::npos)
      << r.out;
  std::filesystem::remove_all(dir);
  // Without a power figure there is no energy to price; a price must be positive.
  EXPECT_EQ(run_trainbench({"estimate", "--tflops", "140", "--gpus", "8", "--electricity-price", "0.1"}).exit_code, 2);
  EXPECT_EQ(run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "8", "--electricity-price",
                            "-1"})
                .exit_code,
            2);
}

// Without context parallelism any sequence length is a layout's (2049-token windows are common);
// only c > 1 needs 2c equal chunks.
TEST(EstimateCli, AnOddSequenceTakesALayoutWithoutContextParallelism) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--seq", "2047",
                           "--tp", "8", "--pp", "8", "--dp", "16"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// Gradients accumulated in fp32 (Megatron-LM's --accumulate-allreduce-grads-in-fp32) travel in
// fp32: twice the bytes of bf16 ones on the wire without ZeRO, 1.5 times under ZeRO >= 1.
TEST(EstimateCli, Fp32GradientsDoubleTheGradientAllReduce) {
  auto scaling = [](const std::string& grad, const std::string& zero) {
    auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--tp", "8",
                             "--pp", "8", "--dp", "16", "--grad-dtype", grad, "--zero", zero, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["scaling"];
  };
  auto bytes = [&](const std::string& grad, const std::string& zero) {
    return scaling(grad, zero)["dp_grad_bytes"].get<double>();
  };
  auto seconds = [&](const std::string& grad, const std::string& zero) {
    return scaling(grad, zero)["dp_allreduce_s"].get<double>();
  };
  EXPECT_DOUBLE_EQ(bytes("fp32", "0"), 2 * bytes("bf16", "0"));
  EXPECT_DOUBLE_EQ(bytes("fp32", "1"), 2 * bytes("bf16", "1"));
  EXPECT_DOUBLE_EQ(seconds("fp32", "0"), 2 * seconds("bf16", "0"));
  // Under a distributed optimizer: fp32 gradients reduce-scattered, bf16 weights all-gathered,
  // 4 + 2 B where bf16 moves 2 + 2 B.
  EXPECT_DOUBLE_EQ(seconds("fp32", "1"), 1.5 * seconds("bf16", "1"));
}

// The reviewer's case: GPT-3 175B on 1024 A100s at tp 8 x pp 16 (dp 8, m = 1536 / 8 = 192).
// ZeRO 0 and 1 move one all-reduce's volume per step; ZeRO 3 gathers the weights for each of the
// 192 micro-batches' forward and backward and reduce-scatters each one's gradient: 192 x 3 / 2 =
// 288 times ZeRO 1's traffic, and more days. The line names the stage and the counts.
TEST(EstimateCli, ZeroStagesChangeTheDataParallelTrafficAndTheDays) {
  auto run = [](const std::string& zero) {
    auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "a100-sxm-80g", "--tflops", "140", "--gpus",
                             "1024", "--tp", "8", "--pp", "16", "--zero", zero, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  };
  const auto z0 = run("0"), z1 = run("1"), z2 = run("2"), z3 = run("3");
  const double ar = z0["scaling"]["dp_allreduce_s"].get<double>();
  EXPECT_DOUBLE_EQ(z1["scaling"]["dp_allreduce_s"].get<double>(), ar);
  // ZeRO 2: 192 reduce-scatters + 1 all-gather, each half the all-reduce: 193 / 2.
  EXPECT_NEAR(z2["scaling"]["dp_allreduce_s"].get<double>() / ar, 193.0 / 2, 1e-9);
  EXPECT_NEAR(z3["scaling"]["dp_allreduce_s"].get<double>() / ar, 192.0 * 3 / 2, 1e-9);
  EXPECT_EQ(z3["scaling"]["zero_stage"], 3);
  EXPECT_EQ(z3["scaling"]["dp_reduce_scatters"], 192);
  EXPECT_EQ(z3["scaling"]["dp_all_gathers"], 384);
  EXPECT_DOUBLE_EQ(z1["wall_days"].get<double>(), z0["wall_days"].get<double>());
  EXPECT_GT(z2["wall_days"].get<double>(), z1["wall_days"].get<double>());
  EXPECT_GT(z3["wall_days"].get<double>(), z2["wall_days"].get<double>());
  bool said = false;
  for (const auto& why : z3["scaling"]["reasons"])
    said |= why.get<std::string>().find("data parallel: ZeRO 3: 192 x (2 all-gather + reduce-scatter) of") !=
            std::string::npos;
  EXPECT_TRUE(said) << z3["scaling"]["reasons"].dump(1);
}

// Megatron-LM's 140 TFLOP/s for GPT-3 175B was measured end to end: without a layout it gives the
// paper's days (ideal scaling); with --tp 8 --pp 16 the model divides by its efficiency again, so
// the output says that the figure is taken as the kernels' own and prints the MFU the days amount
// to: MFU x efficiency, in the text and as `mfu_end_to_end`.
TEST(EstimateCli, ALayoutPrintsTheEndToEndMfuAndWarnsAboutEndToEndThroughputs) {
  const std::vector<std::string> base = {"estimate", "--model", "gpt3-175b", "--gpu", "a100-sxm-80g", "--tflops", "140",
                                         "--gpus", "1024", "--recompute", "full"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  };
  const auto ideal = nlohmann::json::parse(with({"--json"}).out);
  EXPECT_FALSE(ideal.contains("mfu_end_to_end"));
  const auto laid = nlohmann::json::parse(with({"--tp", "8", "--pp", "16", "--json"}).out);
  const double mfu = laid["mfu"].get<double>(), eff = laid["scaling"]["efficiency"].get<double>();
  EXPECT_DOUBLE_EQ(mfu, ideal["mfu"].get<double>());
  EXPECT_DOUBLE_EQ(laid["mfu_end_to_end"].get<double>(), mfu * eff);
  EXPECT_NEAR(laid["wall_days"].get<double>() * eff, ideal["wall_days"].get<double>(), 1e-9);
  const CliResult text = with({"--tp", "8", "--pp", "16"});
  EXPECT_NE(text.out.find(fmt::format("MFU {:.1f}% of kernels, {:.1f}% end to end after {:.1f}% scaling", 100 * mfu,
                                      100 * mfu * eff, 100 * eff)),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("--tflops is taken as the GPU's rate before the bubble and communication"), std::string::npos)
      << text.out;
  // --help says it too (CLI11 may wrap the description: compared with whitespace collapsed).
  const CliResult help = run_trainbench({"estimate", "--help"});
  std::string words;
  std::istringstream in(help.out);
  for (std::string w; in >> w;) words += (words.empty() ? "" : " ") + w;
  EXPECT_NE(words.find("a published end-to-end figure, as Megatron-LM's 140 for GPT-3 175B, includes them: give it "
                       "without a layout"),
            std::string::npos)
      << help.out;
  EXPECT_NE(words.find("3 + weights, gathered twice per micro-batch"), std::string::npos) << help.out;
}

// ZeRO shards over data-parallel ranks: a stage asked for without them is said to do nothing.
TEST(EstimateCli, ZeroWithoutDataParallelRanksSaysItShardsNothing) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--tp", "8", "--zero", "3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ZeRO 3 shards over the data-parallel ranks: at dp 1 it shards nothing"), std::string::npos)
      << r.out;
}

// Memory advice reruns as printed: DeepSeek-V3 at tp 8 x pp 16 overflows, and a wider ep fits with
// the data-parallel ranks it needs named beside it; too few GPUs for the state are said so.
TEST(EstimateCli, MemoryAdviceRerunsAsPrinted) {
  auto r = run_trainbench({"estimate", "--model", "deepseek-v3", "--gpu", "h800", "--tp", "8", "--pp", "16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("it fits with --ep 128 --dp 128"), std::string::npos) << r.out;
  auto again = run_trainbench({"estimate", "--model", "deepseek-v3", "--gpu", "h800", "--tp", "8", "--pp", "16", "--ep",
                               "128", "--dp", "128", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["memory"]["verdict"], "fits");
  auto few = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--gpus", "8", "--tp", "8"});
  EXPECT_NE(few.out.find("no layout of 8 GPUs holds it: at least 33 just to hold the training state"),
            std::string::npos)
      << few.out;
}

// A search that finds nothing names the GPU floor, and the ways out the flags have not taken.
TEST(EstimateCli, LayoutSearchThatFindsNothingNamesTheFloorAndTheWaysLeft) {
  auto r = run_trainbench({"estimate", "--model", "llama3-405b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "64",
                           "--layout", "auto", "--recompute", "auto"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  // 405.85 B parameters x 16 B = 6.49 TB over 80 GiB GPUs: 76.
  EXPECT_NE(r.err.find("more --gpus (at least 76 just to hold the training state)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("--recompute full"), std::string::npos) << r.err;  // --recompute auto tried it
}

TEST(EstimateCli, JsonHasRequiredKeys) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--tokens", "300e9", "--tflops", "140", "--gpus",
                           "1024", "--recompute", "full", "--site", "500p", "--days", "30", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"model", "params", "tokens", "training_flops", "pf_days", "sustained_tflops_per_gpu",
                          "gpu_hours", "wall_days", "sites_needed", "sites_cost", "site_currency"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_NEAR(j["wall_days"].get<double>() / 34.0, 1.0, 0.03);  // Megatron-LM's example
  EXPECT_EQ(j["recompute"], "full");
}

TEST(EstimateCli, MfuWithSkuGivesEnergy) {
  auto r = run_trainbench({"estimate", "--model", "llama3-8b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "64",
                           "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["energy_mwh"].get<double>(), 0);
  EXPECT_NEAR(j["mfu"].get<double>(), 0.4, 1e-12);
}

// Between the bf16 peak (989) and the fp8 one (1979) a rate is possible for fp8 GEMMs: answered,
// with a note that its MFU against bf16 reads over 100% (1200 / 989 = 121.3%).
TEST(EstimateCli, ARateAboveTheBf16PeakIsANoteNotARefusal) {
  auto r = run_trainbench({"estimate", "--gpu", "h100-sxm", "--tflops", "1200", "--gpus", "1024", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("--tflops 1200 is above h100-sxm's bf16 peak (989)"), std::string::npos) << r.err;
  EXPECT_NEAR(nlohmann::json::parse(r.out)["mfu"].get<double>(), 1200.0 / 989, 1e-9);
}

// Procurement's question: what do the GPU-hours cost at a quoted rental price?
TEST(EstimateCli, QuotedGpuHourPriceGivesTheRentalCost) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--tflops", "100", "--gpu-hour-price", "2.5",
                           "--currency", "EUR", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(j["rental_cost"].get<double>(), 2.5 * j["gpu_hours"].get<double>());
  EXPECT_EQ(j["rental_currency"], "EUR");
  auto text = run_trainbench({"estimate", "--model", "gpt3-175b", "--tflops", "100", "--gpu-hour-price", "2.5"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("rental: "), std::string::npos) << text.out;

  // A user's SKU file with its own [price] table: the rental line names the price's source.
  const std::string dir = make_temp_dir("tb_sku_");
  std::ostringstream sku;
  sku << read_text(std::string(TB_SOURCE_DIR) + "/configs/skus/h100-sxm.toml")
      << "\n[price]\nper_gpu_hour = 2.2\ncurrency = \"EUR\"\nsource = \"our cloud quote, 2026-12\"\n";
  write_text(dir + "/myh100.toml", sku.str());
  auto own = run_trainbench({"estimate", "--gpu", dir + "/myh100.toml", "--mfu", "0.4", "--gpus", "1024"});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  EXPECT_NE(own.out.find("2.2 EUR per GPU-hour, from our cloud quote, 2026-12"), std::string::npos) << own.out;
  std::filesystem::remove_all(dir);
}

// Procurement's other question: can this many GPUs of this SKU hold the model in this layout?
TEST(EstimateCli, MemoryPerGpuJudgesTheLayoutAndSuggestsOneThatFits) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--tp", "8", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;  // memory needs no throughput
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["min_gpus_to_hold"], 33);  // 16 B x 174.6 B parameters over 80 GiB
  ASSERT_TRUE(j.contains("memory"));
  EXPECT_EQ(j["memory"]["verdict"], "does not fit");
  EXPECT_GT(j["memory"]["used_fraction"].get<double>(), 4.0);
  EXPECT_EQ(j["memory"]["suggestion"], "--pp 6");
  EXPECT_FALSE(j.contains("scaling"));

  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1024",
                      "--tp", "8", "--pp", "8", "--zero", "1", "--recompute", "selective", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["memory"]["verdict"], "fits");
  EXPECT_EQ(j["memory"]["dp"], 16);
  EXPECT_EQ(j["memory"]["zero_stage"], 1);
  EXPECT_EQ(j["memory"]["first_stage"]["micro_batches_in_flight"], 8);
  EXPECT_FALSE(j["memory"].contains("suggestion"));
  EXPECT_TRUE(j.contains("scaling"));

  auto text = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--tp", "8"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("does not fit: fits with --pp 6"), std::string::npos) << text.out;
  // The suggestion, given back to estimate as it is, fits: it was judged with the micro-batches
  // and data-parallel size those flags produce (a long sequence and a fixed GPU count included).
  for (const std::vector<std::string>& base :
       {std::vector<std::string>{"estimate", "--gpu", "h100-sxm", "--tp", "8", "--seq", "8192", "--json"},
        std::vector<std::string>{"estimate", "--gpu", "h100-sxm", "--tp", "8", "--mfu", "0.4", "--gpus", "1024",
                                 "--json"}}) {
    auto first = run_trainbench(base);
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const auto fj = nlohmann::json::parse(first.out);
    ASSERT_TRUE(fj["memory"].contains("suggestion")) << first.out;
    std::vector<std::string> again = base;
    std::istringstream words(fj["memory"]["suggestion"].get<std::string>());
    for (std::string w; words >> w;) again.push_back(w);
    auto second = run_trainbench(again);
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_EQ(nlohmann::json::parse(second.out)["memory"]["verdict"], "fits") << fj["memory"]["suggestion"];
  }
  // Fewer GPUs than can hold the model: said, whatever the deadline.
  text = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.5", "--gpus", "16"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("16 GPUs cannot hold the model: at least 33"), std::string::npos) << text.out;
}

// Procurement's real question: which layout, and then how long and how many GPUs.
TEST(EstimateCli, LayoutAutoPicksAFittingLayoutAndEstimatesIt) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1024",
                           "--recompute", "selective", "--layout", "auto", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& s = j["layout_search"];
  EXPECT_EQ(s["global_batch"], 1536);
  ASSERT_GE(s["ranked"].size(), 1u);
  const auto& best = s["ranked"][0];
  // The estimate printed is the best layout's.
  EXPECT_EQ(j["scaling"]["tp"], best["tp"]);
  EXPECT_EQ(j["scaling"]["pp"], best["pp"]);
  EXPECT_DOUBLE_EQ(j["wall_days"].get<double>(), best["wall_days"].get<double>());
  EXPECT_EQ(j["memory"]["verdict"], "fits");
  EXPECT_EQ(best["dp"].get<int>() * best["micro_batches"].get<int>(), 1536);
  // Its flags reproduce it.
  std::vector<std::string> again{"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--json"};
  std::istringstream flags(best["flags"].get<std::string>());
  for (std::string word; flags >> word;) again.push_back(word);
  auto r2 = run_trainbench(again);
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(r2.out)["wall_days"].get<double>(), best["wall_days"].get<double>());

  // Across recomputation modes the search holds a hardware rate (MFU x peak); its flags then carry
  // that rate as --tflops, since --mfu beside a pinned --recompute full would mean a faster GPU.
  auto held = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1024",
                              "--recompute", "auto", "--layout", "auto", "--json"});
  ASSERT_EQ(held.exit_code, 0) << held.err;
  const auto hj = nlohmann::json::parse(held.out);
  EXPECT_DOUBLE_EQ(hj["layout_search"]["held_hardware_tflops"].get<double>(), 0.4 * 989);
  // Fused attention keeps no s x s scores: selective recomputation would save nothing there, so
  // the search does not offer it.
  for (const auto& c : hj["layout_search"]["ranked"]) EXPECT_NE(c["recompute"], "selective") << c.dump();
  std::vector<std::string> rerun{"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--tflops", "395.6", "--json"};
  std::istringstream held_flags(hj["layout_search"]["ranked"][0]["flags"].get<std::string>());
  for (std::string word; held_flags >> word;) rerun.push_back(word);
  auto r3 = run_trainbench(rerun);
  ASSERT_EQ(r3.exit_code, 0) << r3.err;
  EXPECT_NEAR(nlohmann::json::parse(r3.out)["wall_days"].get<double>(),
              hj["layout_search"]["ranked"][0]["wall_days"].get<double>(), 1e-9);

  auto text = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--days",
                              "30", "--layout", "auto"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("fewest servers of 8 GPUs to finish in 30 days"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("best: trainbench estimate ... --tp "), std::string::npos) << text.out;
  // Nothing fits: the answer is said, and the exit is 1.
  const std::string dir = make_temp_dir("tb_sku_");
  // The configs trainbench reads (TRAINBENCH_CONFIG_DIR where the binaries run off their build tree).
  const char* config_dir = std::getenv("TRAINBENCH_CONFIG_DIR");
  const std::string configs = config_dir ? config_dir : std::string(TB_SOURCE_DIR) + "/configs";
  write_text(dir + "/tiny.toml", read_text(configs + "/skus/h100-sxm.toml"));
  auto tiny = read_text(dir + "/tiny.toml");
  // 1 GiB usable of the nominal 80: the search judges the usable figure, and says which it used.
  const std::string usable = "usable_gib = 79.65";
  ASSERT_NE(tiny.find(usable), std::string::npos) << tiny;
  tiny.replace(tiny.find(usable), usable.size(), "usable_gib = 1");
  write_text(dir + "/tiny.toml", tiny);
  auto none = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", dir + "/tiny.toml", "--mfu", "0.4",
                              "--gpus", "64", "--layout", "auto"});
  EXPECT_EQ(none.exit_code, 1) << none.out << none.err;
  EXPECT_NE(none.out.find("0 fit in 1 GiB usable of 80"), std::string::npos) << none.out;
  EXPECT_NE(none.err.find("no layout of gpt3-175b fits"), std::string::npos) << none.err;
}

// Before any box can be measured: several SKUs from their datasheets at one assumed MFU.
// --cp: the memory per GPU and the scaling name the context ranks; the search pinned to one.
TEST(EstimateCli, ContextParallelLayoutIsCostedAndSearched) {
  auto r = run_trainbench({"estimate", "--model", "llama3-405b", "--seq", "131072", "--gpu", "h100-sxm", "--mfu", "0.38",
                           "--tp", "8", "--cp", "16", "--pp", "16", "--dp", "8", "--micro-batches", "16", "--zero", "1",
                           "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["gpus"], 16384);
  EXPECT_EQ(j["scaling"]["cp"], 16);
  EXPECT_GT(j["scaling"]["cp_s_per_micro_batch"].get<double>(), 0.0);
  EXPECT_EQ(j["memory"]["cp"], 16);
  EXPECT_NE(j["memory"]["verdict"], "does not fit");

  r = run_trainbench({"estimate", "--model", "llama3-405b", "--seq", "131072", "--gpu", "h100-sxm", "--mfu", "0.38",
                      "--gpus", "16384", "--global-batch", "128", "--layout", "auto", "--cp", "16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("cp in {16}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--cp 16"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("context parallel: 16 ranks hold 8192 tokens"), std::string::npos) << r.out;
}

// --mtbf-gpu-hours: the days and GPU-hours include checkpoints, lost work and restarts; the
// defaults are said to be assumptions; JSON carries every term.
TEST(EstimateCli, InterruptionsAddCheckpointsLostWorkAndRestarts) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--tflops", "140", "--recompute", "full", "--gpus",
                           "1024", "--mtbf-gpu-hours", "llama3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The preset is the unexpected interruptions only, and says so (docs/interruptions.md).
  EXPECT_NE(r.out.find("419 unexpected interruptions (of 466; 47 were planned) in 54 days"), std::string::npos)
      << r.out;
  // 54 x 24 x 16,384 / 419 = 50,677.0 GPU-hours per GPU.
  EXPECT_NE(r.out.find("one per 50677 GPU-hours (llama3: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ASSUMPTION; --checkpoint-s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ASSUMPTION; --restart-s"), std::string::npos) << r.out;
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--tflops", "140", "--recompute", "full", "--gpus", "1024",
                      "--mtbf-gpu-hours", "20000", "--checkpoint-s", "120", "--restart-s", "900", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& i = j["interruptions"];
  const double f = i["goodput"].get<double>();
  EXPECT_GT(f, 0.8);
  EXPECT_LT(f, 1.0);
  EXPECT_NEAR(f + i["checkpoint_share"].get<double>() + i["rework_share"].get<double>() +
                  i["restart_share"].get<double>(),
              1.0, 1e-9);
  EXPECT_NEAR(i["job_mtbf_s"].get<double>(), 20000.0 * 3600 / 1024, 1e-6);
  EXPECT_NEAR(j["wall_days"].get<double>(), i["uninterrupted_wall_days"].get<double>() / f, 1e-9);
  EXPECT_NEAR(j["gpu_hours"].get<double>(), i["uninterrupted_gpu_hours"].get<double>() / f, 1e-6);
}

// The answer first: GPUs (whole servers), days, GPU-hours, energy and cost in one line, saying
// what it includes; none without a GPU count. 1,433,929,457,664 hardware FLOPs per token with full
// recomputation (test_estimate_cli_values.cpp) × 300e9 / 140e12 / 3600 = 853.5 K GPU-hours, / 1024
// / 24 = 34.7 days.
TEST(EstimateCli, InShortLineLeadsWithTheAnswer) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--tflops", "140", "--recompute", "full", "--gpus", "1024"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("in short: 1024 GPUs for 34.7 days: 853.5 K GPU-hours (ideal scaling)"), std::string::npos)
      << r.out;
  EXPECT_LT(r.out.find("in short:"), r.out.find("Training compute"));
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1024", "--tp",
                      "8", "--pp", "16", "--gpu-hour-price", "2", "--mtbf-gpu-hours", "llama3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("in short: 1024 GPUs (128 servers of 8) for "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("USD rental (with communication and interruptions)"), std::string::npos) << r.out;
  r = run_trainbench({"estimate", "--model", "gpt3-175b"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("in short:"), std::string::npos) << r.out;
}

// A SKU whose memory cannot hold the layout is no answer; equal answers are a tie, not a win.
TEST(EstimateCli, SeveralSkusCrownOnlyWhatFitsAndSayTies) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm,h200,l40s", "--mfu", "0.4", "--tp",
                           "8", "--pp", "4", "--gpus", "128", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["skus"].size(), 3u);
  EXPECT_TRUE(j["skus"][0].contains("unusable")) << j["skus"][0].dump();  // 80 GB at tp 8 x pp 4: no
  EXPECT_FALSE(j["skus"][1].contains("unusable")) << j["skus"][1].dump();  // 141 GB: yes
  EXPECT_EQ(j["best_sku"]["gpu_hours"], "h200");
  EXPECT_EQ(j["best_sku"]["energy"], "h200");
  auto text = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm,h200,l40s", "--mfu", "0.4", "--tp",
                              "8", "--pp", "4", "--gpus", "128"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("does not fit"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("fewest GPU-hours: h200"), std::string::npos) << text.out;

  // H100 SXM and H200 share the 989 TFLOP/s bf16 peak: at one MFU and one price they tie.
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--days", "30",
                      "--gpu-hour-price", "2.5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["best_sku"]["gpu_hours"].is_null()) << j["best_sku"].dump();
  // As compare's best.ties: {what, figure, ...}, with SKU names where compare has run indices.
  EXPECT_EQ(j["best_sku"]["ties"],
            nlohmann::json::parse(R"([{"what": "fewest GPU-hours", "figure": "gpu_hours", "skus": ["h100-sxm", "h200"]},
                                      {"what": "least energy", "figure": "energy", "skus": ["h100-sxm", "h200"]},
                                      {"what": "lowest cost", "figure": "cost", "skus": ["h100-sxm", "h200"]}])"))
      << j["best_sku"].dump();
  EXPECT_FALSE(j.contains("best")) << "run indices are compare's `best`; estimate names SKUs in `best_sku`";
  EXPECT_FALSE(j.contains("ties"));
}

// A far deadline needs few GPUs, but never fewer than hold the model: the count is raised, and
// the run finishes sooner (same GPU-hours under ideal scaling).
TEST(EstimateCli, AFarDeadlineStillGetsTheGpusThatHoldTheModel) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "6000",
                           "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["gpus"], j["min_gpus_to_hold"]);
  EXPECT_EQ(j["gpus_raised_to_hold_the_model"], true);
  EXPECT_LT(j["wall_days"].get<double>(), 6000);
  auto text = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "6000"});
  EXPECT_NE(text.out.find("the fewest that hold the model"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("BUT"), std::string::npos) << text.out;
}

// What a layout needs in memory does not depend on the token count: a model without a published
// one can still be asked about it.
TEST(EstimateCli, MemoryQuestionNeedsNoTokenCount) {
  auto r = run_trainbench({"estimate", "--model", "mixtral-8x7b", "--gpu", "h100-sxm", "--tp", "2", "--ep", "4",
                           "--dp", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Training compute: n/a"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("per GPU at tp 2"), std::string::npos) << r.out;
  // The bare question is training compute, which needs the count.
  EXPECT_EQ(run_trainbench({"estimate", "--model", "mixtral-8x7b"}).exit_code, 2);
}

// An answer whose layout does not fit says so in its one-line summary.
TEST(EstimateCli, InShortLineSaysWhenTheLayoutDoesNotFit) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--tp", "8",
                           "--pp", "4", "--gpus", "128"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t line = r.out.find("in short:");
  ASSERT_NE(line, std::string::npos) << r.out;
  EXPECT_NE(r.out.substr(line, r.out.find('\n', line) - line).find("does not fit in memory"), std::string::npos)
      << r.out;
}

TEST(EstimateCli, SeveralSkusSideBySideAtOneAssumedMfu) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm,b200,a100-sxm-80g", "--mfu", "0.4",
                           "--days", "30", "--gpu-hour-price", "h100-sxm=2.5", "--gpu-hour-price", "b200=6",
                           "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["skus"].size(), 3u);
  EXPECT_NE(j["assumption"].get<std::string>().find("not a measurement"), std::string::npos);
  const auto& h100 = j["skus"][0];
  const auto& b200 = j["skus"][1];
  EXPECT_EQ(h100["sku"], "h100-sxm");
  // Same MFU, ideal scaling: GPU-hours scale with 1 / dense peak (989 vs 2250 TFLOP/s).
  EXPECT_NEAR(b200["gpu_hours"].get<double>() / h100["gpu_hours"].get<double>(), 989.0 / 2250.0, 1e-9);
  EXPECT_DOUBLE_EQ(h100["rental_cost"].get<double>(), 2.5 * h100["gpu_hours"].get<double>());
  EXPECT_DOUBLE_EQ(b200["rental_cost"].get<double>(), 6.0 * b200["gpu_hours"].get<double>());
  EXPECT_FALSE(j["skus"][2].contains("rental_cost"));  // no quote, no price in its config
  EXPECT_EQ(j["best_sku"]["gpu_hours"], "b200");
  // 6 x 98.3 K = 590 K USD against 2.5 x 223.7 K = 559 K USD: the slower part is cheaper here.
  EXPECT_EQ(j["best_sku"]["cost"], "h100-sxm");

  auto text = run_trainbench({"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--gpus", "512", "--layout",
                              "auto"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("on 2 SKUs at an assumed MFU"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("tp "), std::string::npos) << text.out;  // each SKU's layout
  EXPECT_NE(text.out.find("TFLOP/s  scaling"), std::string::npos) << text.out;  // what communication leaves
  // What the energy column counts, and the upper bound with the rest of the server.
  EXPECT_NE(text.out.find("MWh: GPUs at TDP x PUE 1.00"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("h100-sxm: up to"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("+575 W per GPU, NVIDIA DGX H100 datasheet"), std::string::npos) << text.out;
}

// b200 has no rental quote: the cheapest is named among the quoted SKUs only, saying so.
TEST(EstimateCli, SeveralSkusNameTheLowestCostAmongThePricedOnly) {
  auto r = run_trainbench({"estimate", "--gpu", "h100-sxm,h200,b200", "--mfu", "0.4", "--days", "30",
                           "--gpu-hour-price", "h100-sxm=2.5", "--gpu-hour-price", "h200=3.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // h100-sxm and h200 share the 989 TFLOP/s peak: the same GPU-hours, so the lower quote wins.
  EXPECT_NE(r.out.find("lowest cost of the priced (b200 has no price): h100-sxm"), std::string::npos) << r.out;
}

// A purchase quote per server: GPT-3 175B at MFU 0.4 on H100s (989 TFLOP/s) in 30 days needs
// 226,738.59 GPU-hours (test_estimate.cpp) / 720 h = 314.9, so 315 GPUs, ceil(315 / 8) = 40
// servers; at 350,000 each, 14,000,000. Per SKU with several, in --currency; a quote without a SKU or a GPU count refused.
TEST(EstimateCli, ServerPriceQuotesTheServersToBuy) {
  auto r = run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30", "--server-price", "350000",
                           "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["gpus"].get<int64_t>(), 315);
  EXPECT_EQ(j["servers"].get<int64_t>(), 40);
  EXPECT_DOUBLE_EQ(j["server_cost"].get<double>(), 40 * 350000.0);
  auto text = run_trainbench({"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30", "--server-price",
                              "350000"});
  EXPECT_NE(text.out.find("servers to buy: 14.00 million USD (40 x --server-price)"), std::string::npos) << text.out;
  auto several = run_trainbench({"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--days", "30", "--server-price",
                                 "h100-sxm=350000", "--server-price", "h200=420000", "--currency", "eur"});
  ASSERT_EQ(several.exit_code, 0) << several.err;
  // --currency eur is printed as EUR.
  EXPECT_NE(several.out.find("h200: servers to buy 16.80 million EUR (40 x --server-price)"), std::string::npos)
      << several.out;
  EXPECT_NE(several.out.find("least to buy: h100-sxm"), std::string::npos) << several.out;
}

// Buying instead of renting: servers x each config's [price] server, and the least to buy named
// only among two or more priced SKUs in one currency.
TEST(EstimateCli, SeveralSkusWithServerPricesNameTheLeastToBuy) {
  const std::string dir = make_temp_dir("tb_skus_");
  auto priced = [&](const std::string& base, const std::string& name, const std::string& price,
                    const std::string& currency) {
    std::string text = read_text(std::string(TB_SOURCE_DIR) + "/configs/skus/" + base + ".toml");
    text.replace(text.find("name = \"" + base + "\""), base.size() + 9, "name = \"" + name + "\"");
    text += "\n[price]\nserver = " + price + "\ncurrency = \"" + currency + "\"\nsource = \"test quote\"\n";
    write_text(dir + "/" + name + ".toml", text);
    return dir + "/" + name + ".toml";
  };
  const std::string h100 = priced("h100-sxm", "h100-priced", "300000", "USD");
  const std::string b200 = priced("b200", "b200-priced", "500000", "USD");
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", h100 + "," + b200, "--mfu", "0.4", "--days", "30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 40 H100 servers x 300 K = 12.00 M; 18 B200 servers (138.4 GPUs: 314.9 x 989 / 2250) x 500 K
  // = 9.00 M; each with its source.
  EXPECT_NE(r.out.find("h100-priced: servers to buy 12.00 million USD (40 x [price] server, test quote)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("b200-priced: servers to buy 9.00 million USD (18 x [price] server, test quote)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("least to buy: b200-priced"), std::string::npos) << r.out;
  const std::string yuan = priced("b200", "b200-yuan", "3500000", "CNY");
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", h100 + "," + yuan, "--mfu", "0.4", "--days", "30"});
  EXPECT_NE(r.out.find("least to buy: none — the server prices are in USD (h100-priced) and CNY (b200-yuan)"),
            std::string::npos)
      << r.out;
  // A --server-price in USD for the yuan-priced SKU: its rental stays the config's, the server
  // quote takes --currency; keyed by the --gpu path it was loaded from as well as by its name.
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", h100 + "," + yuan, "--mfu", "0.4", "--days", "30",
                      "--server-price", yuan + "=480000", "--currency", "USD"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("b200-yuan: servers to buy 8.64 million USD (18 x --server-price)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("least to buy: b200-yuan"), std::string::npos) << r.out;  // 8.64 M against 12.00 M
  // Two SKUs at one quote and the same server count: a tie, not a winner.
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--days", "30",
                      "--server-price", "350000"});
  EXPECT_NE(r.out.find("least to buy: a tie between h100-sxm, h200"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
}

struct BadCase {
  std::vector<std::string> args;
  std::string must_mention;
};

// Mixture of experts: --ep costs the all-to-alls and splits the experts' memory; the search tries
// expert splits; JSON carries them.
TEST(EstimateCli, ExpertParallelLayoutIsCostedAndSearched) {
  auto r = run_trainbench({"estimate", "--model", "mixtral-8x7b", "--tokens", "2T", "--seq", "4096", "--gpu",
                           "h100-sxm", "--mfu", "0.4", "--tp", "2", "--pp", "4", "--dp", "16", "--ep", "8",
                           "--micro-batches", "16", "--zero", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["gpus"], 128);
  EXPECT_EQ(j["scaling"]["ep"], 8);
  EXPECT_GT(j["scaling"]["ep_s_per_micro_batch"].get<double>(), 0.0);
  EXPECT_EQ(j["scaling"]["alltoalls_per_moe_layer"], 4);
  EXPECT_LT(j["active_params"].get<double>(), j["params"].get<double>() / 3);
  EXPECT_DOUBLE_EQ(j["training_flops"].get<double>(), 6 * j["active_params"].get<double>() * 2e12);

  r = run_trainbench({"estimate", "--model", "mixtral-8x7b", "--tokens", "2T", "--seq", "4096", "--gpu", "h100-sxm",
                      "--mfu", "0.4", "--gpus", "128", "--global-batch", "512", "--layout", "auto"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ep in {1,2,4,8}"), std::string::npos) << r.out;
  // The best layout's flags reproduce it: overlaps included.
  r = run_trainbench({"estimate", "--model", "mixtral-8x7b", "--tokens", "2T", "--seq", "4096", "--gpu", "h100-sxm",
                      "--mfu", "0.4", "--gpus", "128", "--global-batch", "512", "--layout", "auto", "--ep", "8",
                      "--ep-overlap", "0.5", "--overlap", "0.25"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("--ep 8"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--overlap 0.25 --ep-overlap 0.5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("active per token"), std::string::npos) << r.out;
}

TEST(EstimateCli, BadInputExits2NamingTheFlag) {
  const BadCase cases[] = {
      {{"estimate", "--model", "mixtral-8x7b"}, "give --tokens"},  // no published token count
      {{"estimate", "--mfu", "0.4", "--mfu", "0.5", "--gpu", "h100-sxm"}, "--mfu given 2 times; give it once"},
      {{"estimate", "--tflops", "140", "--gpus", "1024", "--pue", "1.3"}, "--pue scales the energy, which needs a power"},
      {{"estimate", "--gpu", "h100-sxm", "--tp", "8", "--zero", "1.5"}, "--zero: '1.5' is not a whole number"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "abc"}, "--mfu: 'abc' is not a number"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--tp", "8", "--pp", "8", "--global-batch", "0"},
       "--global-batch must be a positive number of sequences (got 0)"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "64", "--global-batch", "512"},
       "--global-batch sizes the layout search"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--tp", "8", "--pp", "96", "--dp", "1000000"},
       "is 7.68e+08 GPUs, more than the 100000000"},
      {{"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--days", "30", "--gpu-hour-price", "2.5",
        "--gpu-hour-price", "h200=3"},
       "a bare price applies to every SKU and cannot sit beside other quotes"},
      {{"estimate", "--tflops", "100", "--gpus", "64", "--tp", "1", "--ep", "2"}, "no [moe] table"},
      {{"estimate", "--model", "mixtral-8x7b", "--tokens", "1T", "--tflops", "100", "--tp", "1", "--dp", "4", "--ep",
        "16"},
       "--ep 16 must divide"},
      {{"estimate", "--model", "mixtral-8x7b", "--tokens", "1T", "--tflops", "100", "--gpus", "12", "--tp", "1", "--ep",
        "8"},
       "--ep 8"},
      {{"estimate", "--model", "mixtral-8x7b", "--tokens", "1T", "--tflops", "100", "--ep", "0"}, "--ep"},
      {{"estimate", "--model", "gpt9"}, "gpt3-175b"},  // lists valid names
      {{"estimate", "--tokens", "-3"}, "--tokens"},
      {{"estimate", "--tokens", "lots"}, "--tokens"},
      {{"estimate", "--tokens", "nan"}, "--tokens"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "1.5"}, "--mfu"},
      {{"estimate", "--mfu", "0.5"}, "--gpu"},
      {{"estimate", "--tflops", "100", "--gpus", "0"}, "--gpus"},
      {{"estimate", "--recompute", "sometimes"}, "none, selective, full"},
      {{"estimate", "--site", "900p"}, "500p"},
      {{"estimate", "--gpu", "h900"}, "h100-sxm"},
      {{"estimate", "--model", "/nonexistent/model.toml"}, "/nonexistent/model.toml"},
      {{"estimate", "--no-such-flag"}, "--no-such-flag"},
      {{"estimate", "--tflops", "100", "--gpu-hour-price", "0"}, "--gpu-hour-price"},
      {{"estimate", "--tflops", "100", "--currency", "EUR"}, "--gpu-hour-price"},
      {{"estimate", "--tflops", "100", "--gpu-hour-price", "2", "--currency", "U$D"}, "--currency"},
      {{"estimate", "--zero", "1"}, "--tp"},
      {{"estimate", "--tp", "8", "--zero", "4"}, "--zero"},
      {{"estimate", "--tp", "8", "--sequence-parallel", "maybe"}, "on or off"},
      {{"estimate", "--tp", "8", "--attention", "flash"}, "fused or unfused"},
      {{"estimate", "--tp", "8", "--gpus", "12"}, "--gpus"},
      {{"estimate", "--layout", "best"}, "auto"},
      {{"estimate", "--layout", "auto", "--tp", "8", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "64"}, "--tp"},
      {{"estimate", "--layout", "auto", "--gpu", "h100-sxm", "--mfu", "0.4"}, "--days"},
      {{"estimate", "--layout", "auto", "--tflops", "300", "--gpus", "64"}, "--gpu"},
      {{"estimate", "--model", "opt-175b", "--layout", "auto", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "64"},
       "--global-batch"},  // OPT's config has no batch
      {{"estimate", "--global-batch", "512"}, "--layout auto"},
      {{"estimate", "--recompute", "auto", "--tflops", "100"}, "--layout auto"},
      {{"estimate", "--gpu", "h100-sxm,h200", "--tflops", "300"}, "--mfu"},
      {{"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--site", "h100-1024"},
       "--site h100-1024 is built of h100-sxm GPUs; --gpu lists h200 too"},
      {{"estimate", "--gpu", "h100-sxm,,h200", "--mfu", "0.4"}, "empty SKU"},
      {{"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--gpu-hour-price", "b200=4"}, "b200"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpu-hour-price", "h200=4"}, "h200"},
      {{"estimate", "--gpu", "h100-sxm,h100-sxm", "--mfu", "0.4"}, "twice"},
      {{"estimate", "--gpu", "h100-sxm", "--tp", "8", "--virtual-stages", "2"}, "--pp"},
      {{"estimate", "--gpu", "h100-sxm", "--tp", "8", "--pp", "8", "--micro-batches", "12", "--virtual-stages", "2"},
       "--micro-batches"},
      {{"estimate", "--gpu", "h100-sxm", "--tp", "8", "--pp", "8", "--virtual-stages", "0"}, "--virtual-stages"},
      // GPT-3 175B's 96 layers on 16 stages are 6 per stage: 5 chunks (or 4: 2, 2, 1, 1) are not equal.
      {{"estimate", "--model", "gpt3-175b", "--gpu", "a100-sxm-80g", "--tflops", "140", "--gpus", "1024", "--tp", "8",
        "--pp", "16", "--virtual-stages", "5"},
       "--virtual-stages 5 does not divide the 6 layers per pipeline stage (gpt3-175b's 96 layers over --pp 16): "
       "Megatron-LM's interleaved schedule splits each stage into equal chunks; give --virtual-stages 1, 2, 3, 6"},
      {{"estimate", "--model", "gpt3-175b", "--gpu", "a100-sxm-80g", "--tp", "8", "--pp", "16", "--virtual-stages", "4"},
       "--virtual-stages 4 does not divide the 6 layers per pipeline stage"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "0", "--layout", "auto"}, "--gpus"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "-1", "--layout", "auto"}, "--days"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "30", "--layout", "auto", "--global-batch",
        "2000000"},
       "--global-batch"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.8", "--recompute", "full"}, "--mfu"},
      {{"estimate", "--gpu", "h100-sxm", "--tp", "8", "--pp", "8", "--dp", "4", "--gpus", "1024"}, "--gpus"},
      {{"estimate", "--layout", "auto", "--global-batch", "-4", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "64"},
       "--global-batch"},
      {{"estimate", "--gpu", "h100-sxm", "--tp", "8", "--cp", "3"}, "--cp 3"},
      {{"estimate", "--gpu", "h100-sxm", "--tp", "8", "--cp", "2", "--seq", "2047"}, "--cp 2 must split the sequence"},
      {{"estimate", "--gpu", "h100-sxm", "--tp", "8", "--cp", "0"}, "--cp"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--tp", "8", "--cp", "2", "--pp", "8", "--gpus", "100"},
       "--cp 2"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1024", "--layout", "auto", "--cp", "3"}, "--cp 3"},
      {{"estimate", "--cp", "2", "--zero", "4"}, "--zero"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--tp", "8", "--cp", "-1", "--gpus", "1024"},
       "--cp must be between 1 and 1000000"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--tp", "8", "--cp", "2305843009213693952", "--gpus", "1024"},
       "--cp must be between 1 and 1000000"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1024", "--layout", "auto", "--cp", "0"},
       "--cp 0"},
      {{"estimate", "--tp", "8", "--grad-dtype", "fp16"}, "bf16 or fp32"},
      {{"estimate", "--tokens", ""}, "empty value after --tokens"},
      {{"estimate", "--tokens="}, "--tokens with an empty value"},
      {{"nosuch"}, "unknown subcommand 'nosuch'"},
      {{"comapre"}, "unknown subcommand 'comapre' (did you mean compare?)"},
      // CLI11 alone says "The following arguments were not expected: 8 --gpus-count".
      {{"estimate", "--gpus-count", "8"}, "estimate: no flag --gpus-count (did you mean --gpus?)"},
      {{"estimate", "--dayz", "3"}, "no flag --dayz (did you mean --days?)"},
      {{"estimate", "--zzz"}, "no flag --zzz; trainbench estimate --help lists them"},
      {{"estimate", "8"}, "estimate: unexpected argument '8'"},
      {{"estimate", "--model", "gpt3-17b"}, "(did you mean gpt3-13b or gpt3-175b?)"},
      {{"estimate", "--model", "/tmp"}, "/tmp: a directory, not a model config file"},
      {{"estimate", "--seq", "0"}, "--seq must be between 1 and 4194304"},
      {{"estimate", "--seq", "99999999"}, "--seq must be between 1 and 4194304"},
      {{"estimate", "--tflops", "100", "--gpus", "8", "--gpu-hour-price", "1e300"}, "--gpu-hour-price"},
      {{"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--days", "30", "--gpu-hour-price", "h200=3",
        "--gpu-hour-price", "h200=4"},
       "priced twice"},
      {{"estimate", "--tflops", "140", "--gpus", "1024", "--mtbf-gpu-hours", "100h"}, "llama3"},
      {{"estimate", "--grad-dtype", "fp32"}, "--tp"},
      {{"estimate", "--tflops", "140", "--gpus", "1024", "--mtbf-gpu-hours", "0"}, "--mtbf-gpu-hours"},
      {{"estimate", "--tflops", "140", "--gpus", "1024", "--mtbf-gpu-hours", "soon"}, "--mtbf-gpu-hours"},
      {{"estimate", "--tflops", "140", "--gpus", "1024", "--checkpoint-s", "5"}, "--mtbf-gpu-hours"},
      {{"estimate", "--tflops", "140", "--gpus", "1024", "--mtbf-gpu-hours", "llama3", "--restart-s", "-4"},
       "--restart-s"},
      {{"estimate", "--tflops", "140", "--mtbf-gpu-hours", "llama3"}, "--gpus"},
      {{"estimate", "--tflops", "140", "--gpus", "100000000", "--mtbf-gpu-hours", "llama3"}, "no progress"},
      // One question at a time: a deadline sizes the GPUs, so a fixed count beside it is a contradiction.
      {{"estimate", "--tflops", "100", "--days", "30", "--gpus", "100"}, "--gpus fixes the count"},
      {{"estimate", "--tflops", "100", "--days", "30", "--tp", "8", "--pp", "4", "--dp", "2"}, "--dp fixes the count"},
      {{"estimate", "--tokens", "0.5"}, "--tokens"},
      {{"estimate", "--seq", "abc"}, "--seq: 'abc'"},
      // Flags with nothing to weigh would be ignored silently.
      {{"estimate", "--pue", "1.2"}, "--pue"},
      {{"estimate", "--gpu-hour-price", "2"}, "--gpu-hour-price"},
      {{"estimate", "--tflops", "100", "--gpus", "64", "--tp", "8", "--ep-overlap", "0.5"}, "no experts"},
      // A site of one SKU with another SKU's datasheet would describe neither.
      {{"estimate", "--site", "h100-1024", "--gpu", "b200", "--mfu", "0.4"}, "h100-sxm"},
      // A sustained rate above the GPU's fastest dense peak (an H100's fp8, 1979), and a deadline
      // that would need more GPUs than --gpus accepts.
      {{"estimate", "--gpu", "h100-sxm", "--tflops", "2000", "--gpus", "1024"}, "above h100-sxm's fastest dense peak"},
      // 1,076,373,430,272 FLOPs per token × 300e9 / 1e14 FLOP/s / (1e-9 × 86400 s) = 3.74e13.
      {{"estimate", "--tflops", "100", "--days", "1e-9"}, "--days 1e-09 needs 3.74e+13 GPUs"},
      {{"estimate", "--tflops", "100", "--gpus", "64", "--server-price", "5"}, "--server-price prices the servers to "
                                                                                "buy, which need a SKU"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--server-price", "350000"}, "need a GPU count"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "64", "--server-price", "1e9"},
       "--server-price '1e9': expected a PRICE in (0, 1e+08] USD per server"},
      {{"estimate", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "64", "--server-price", "0x10"},
       "--server-price '0x10': expected a PRICE"},  // decimal only: strtod would read 16
      {{"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--days", "30", "--server-price", "b200=1"},
       "--server-price b200=...: 'b200' is not one of the SKUs given to --gpu"},
  };
  for (const auto& c : cases) {
    auto r = run_trainbench(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args.back() << "\n" << r.err;
    EXPECT_NE(r.err.find(c.must_mention), std::string::npos) << r.err;
  }
}

// The GPU hang limit is read deep inside a run: a bad value is refused up front, naming the
// variable, by every command (a silent fallback to 30 s would hide the typo).
TEST(EstimateCli, BadGpuWaitVariableIsRefusedUpFront) {
  for (const std::string value : {"abc", "0", "-5", "1e999"}) {
    auto r = run_trainbench({"estimate", "--tflops", "100", "--gpus", "8"}, "TRAINBENCH_GPU_WAIT_S=" + value);
    EXPECT_EQ(r.exit_code, 2) << value;
    EXPECT_NE(r.err.find("TRAINBENCH_GPU_WAIT_S: '" + value + "' is not a positive number of seconds"),
              std::string::npos)
        << r.err;
  }
  EXPECT_EQ(run_trainbench({"estimate", "--tflops", "100", "--gpus", "8"}, "TRAINBENCH_GPU_WAIT_S=600").exit_code, 0);
}

TEST(EstimateCli, MalformedUserModelFileNamesLineAndColumn) {
  const std::string dir = make_temp_dir("tb_model_");
  write_text(dir + "/broken.toml", "name = \"broken\"\n[architecture\nlayers = 2\n");
  auto r = run_trainbench({"estimate", "--model", dir + "/broken.toml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("broken.toml:2:"), std::string::npos) << r.err;
  write_text(dir + "/heads.toml",
             "name = \"h\"\nsource = \"t\"\n[architecture]\nlayers = 2\nhidden = 100\nheads = 3\nffn_hidden = 400\n"
             "vocab = 10\nseq_len = 16\nmlp = \"gelu\"\n[training]\ntokens = 1e6\n");
  r = run_trainbench({"estimate", "--model", dir + "/heads.toml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("architecture.heads"), std::string::npos) << r.err;
  // A misspelt table: its fields read as missing, and the message names the table that is there.
  write_text(dir + "/typo.toml", "name = \"t\"\nsource = \"t\"\n[architectur]\nlayers = 2\n");
  {
    // An optional table misspelt: its fields are unknown, and the table named as a near miss.
    std::string toml = read_text(std::string(TB_SOURCE_DIR) + "/configs/models/gpt1.toml");
    toml.replace(toml.find("[training]"), 10, "[trainng]");
    write_text(dir + "/trainng.toml", toml);
    auto t = run_trainbench({"estimate", "--model", dir + "/trainng.toml", "--tflops", "1", "--gpus", "1"});
    EXPECT_EQ(t.exit_code, 2);
    EXPECT_NE(t.err.find("table [trainng] is not one trainbench knows; is it [training] misspelt?"), std::string::npos)
        << t.err;
    // A table the reader only probes ([moe]), misspelt; an unrelated short one is no near miss.
    std::string moe = read_text(std::string(TB_SOURCE_DIR) + "/configs/models/deepseek-v3.toml");
    write_text(dir + "/moee.toml", std::string(moe).replace(moe.find("[moe]"), 5, "[moee]"));
    t = run_trainbench({"estimate", "--model", dir + "/moee.toml", "--tflops", "1", "--gpus", "1"});
    EXPECT_EQ(t.exit_code, 2);
    EXPECT_NE(t.err.find("table [moee] is not one trainbench knows; is it [moe] misspelt?"), std::string::npos) << t.err;
    write_text(dir + "/foo.toml", moe + "\n[foo]\nx = 1\n");
    t = run_trainbench({"estimate", "--model", dir + "/foo.toml", "--tflops", "1", "--gpus", "1"});
    EXPECT_EQ(t.exit_code, 2);
    EXPECT_NE(t.err.find("field 'foo.x' is not a field trainbench knows"), std::string::npos) << t.err;
    EXPECT_EQ(t.err.find("misspelt"), std::string::npos) << t.err;
  }
  r = run_trainbench({"estimate", "--model", dir + "/typo.toml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("field 'architecture.layers' is missing (the file has a table [architectur]: is it "
                       "[architecture] misspelt?)"),
            std::string::npos)
      << r.err;
}

TEST(CatalogCli, ListsEveryConfigWithKeyNumbers) {
  auto models = run_trainbench({"models"});
  ASSERT_EQ(models.exit_code, 0);
  EXPECT_NE(models.out.find("gpt3-175b"), std::string::npos);
  EXPECT_NE(models.out.find("174.60 B"), std::string::npos) << models.out;
  EXPECT_NE(models.out.find("llama3-405b"), std::string::npos);
  auto skus = run_trainbench({"skus"});
  ASSERT_EQ(skus.exit_code, 0);
  EXPECT_NE(skus.out.find("h100-sxm"), std::string::npos);
  EXPECT_NE(skus.out.find("989"), std::string::npos);
  auto sites = run_trainbench({"sites"});
  ASSERT_EQ(sites.exit_code, 0);
  EXPECT_NE(sites.out.find("500p"), std::string::npos);
  EXPECT_NE(sites.out.find("3.02 billion CNY"), std::string::npos) << sites.out;
  // What estimate takes from them unless given: GPT-3's 300 B tokens (6·N·D = 3637.6 PF-days
  // between them, test_catalog_cli.cpp) and 1536-sequence batch, an H100 server's 8 GPUs and
  // links, the site's electricity price.
  EXPECT_NE(models.out.find("300.00 B     3637.6   1536"), std::string::npos) << models.out;
  EXPECT_NE(skus.out.find("8      450       50"), std::string::npos) << skus.out;
  EXPECT_NE(sites.out.find("0.6 CNY"), std::string::npos) << sites.out;
}

// --zero's help states both defaults, and estimate keeps to them: ZeRO 0 on a layout given by
// hand; under --layout auto the lowest of ZeRO-1, 2, 3 that fits each layout wherever dp x cp > 1
// (docs/memory.md), which for GPT-3 XL on 8 H100s is ZeRO-1 everywhere.
TEST(EstimateCli, ZeroHelpStatesTheDefaultOfEachMode) {
  const auto help = run_trainbench({"estimate", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  std::string text;  // CLI11 may wrap the description: compare with whitespace collapsed
  std::istringstream words(help.out);
  for (std::string w; words >> w;) text += (text.empty() ? "" : " ") + w;
  EXPECT_NE(text.find("(default 0 with a given layout; with --layout auto, the lowest of 1, 2, 3 that fits each "
                      "layout wherever dp x cp > 1)"),
            std::string::npos)
      << help.out;
  const std::vector<std::string> xl = {"estimate", "--model", "gpt3-xl", "--gpu", "h100-sxm", "--mfu", "0.4", "--json"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = xl;
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  };
  const auto fixed = with({"--tp", "1", "--pp", "1", "--dp", "8"});
  EXPECT_EQ(fixed["memory"]["zero_stage"], 0);
  const auto searched = with({"--gpus", "8", "--layout", "auto"});
  ASSERT_FALSE(searched["layout_search"]["ranked"].empty());
  for (const auto& c : searched["layout_search"]["ranked"]) {
    ASSERT_GT(c["dp"].get<int>() * c["cp"].get<int>(), 1) << c.dump();
    EXPECT_EQ(c["zero_stage"], 1) << c.dump();
    EXPECT_EQ(c["zero_reason"].get<std::string>().rfind("ZeRO-1 fits at ", 0), 0u) << c.dump();
  }
  EXPECT_TRUE(searched["layout_search"]["zero_stage_pinned"].is_null());
}

TEST(Cli, NoSubcommandIsAUsageError) {
  auto r = run_trainbench({});
  EXPECT_EQ(r.exit_code, 2);
  auto help = run_trainbench({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("estimate"), std::string::npos);
}

}  // namespace
}  // namespace tb::testing

// Llama 3 8B's config assumes its batch (the maker published none): the micro-batch reason says so,
// and a --global-batch the user gives is theirs, not the assumption.
TEST(EstimateCli, AnAssumedBatchIsSaidAndAGivenOneIsNot) {
  const std::vector<std::string> base = {"estimate", "--model", "llama3-8b", "--gpu", "h100-sxm", "--mfu", "0.4",
                                         "--gpus", "64", "--tp", "1"};
  const auto assumed = tb::testing::run_trainbench(base);
  ASSERT_EQ(assumed.exit_code, 0) << assumed.err;
  EXPECT_NE(assumed.out.find("global batch of 512 sequences (assumed: "), std::string::npos) << assumed.out;
  auto flags = base;
  flags.insert(flags.end(), {"--global-batch", "1024"});
  const auto given = tb::testing::run_trainbench(flags);
  ASSERT_EQ(given.exit_code, 0) << given.err;
  EXPECT_NE(given.out.find("global batch of 1024 sequences"), std::string::npos) << given.out;
  EXPECT_EQ(given.out.find("assumed: "), std::string::npos) << given.out;
}
