// `trainbench estimate --site`: the data centers at an MFU of the --dtype peak, the sites that hold
// a layout's GPUs, a deadline beyond the GPU bound, and the article's figure beside Table D.1's.
// Hand figures: configs/sites/500p.toml is 500 PFLOPS (bf16-class); configs/skus/h100-sxm.toml
// bf16 989, fp8 1979, tf32 495; b200.toml bf16 2250, fp8 4500. GPT-3 175B's model FLOPs:
// 1,076,373,430,272 per token x 300e9 (test_estimate.cpp; PaLM's count, attention unmasked).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

constexpr double kGpt3ModelFlops = 1'076'373'430'272.0 * 300e9;
constexpr double kThirtyDays = 30 * 86400.0;

std::vector<std::string> h100_30_days(const std::string& dtype) {
  return {"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--dtype", dtype, "--mfu", "0.4", "--days", "30",
          "--site", "500p"};
}

nlohmann::json json_of(std::vector<std::string> args) {
  args.push_back("--json");
  const auto r = run_trainbench(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
}

// fp8: 158 GPUs (3.229e23 / (0.4 x 1979e12) / 30 days = 157.4), 506 to a site: 0.311 sites
// (3.229e23 / (500e15 x 0.4 x 1979/989 x 30 days)), not the bf16 figure 0.623; tf32: 630 GPUs
// (629.2), 1.24 sites, 2 to build.
TEST(EstimateSitesCli, TheSitesFollowTheGpusAtTheRunsDtype) {
  auto r = run_trainbench(h100_30_days("fp8"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("158 GPUs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("one site holds 506 GPUs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.311 (build 1)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MFU 40.0% of the fp8 peak = 80.0% of the site's bf16-class rating"), std::string::npos)
      << r.out;
  const auto fp8 = json_of(h100_30_days("fp8"));
  const double fp8_sites = kGpt3ModelFlops / (500e15 * 0.4 * (1979.0 / 989) * kThirtyDays);
  EXPECT_NEAR(fp8["sites_needed"].get<double>(), fp8_sites, 1e-9 * fp8_sites);

  r = run_trainbench(h100_30_days("tf32"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("630 GPUs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1.24 (build 2)"), std::string::npos) << r.out;
  const auto tf32 = json_of(h100_30_days("tf32"));
  const double tf32_sites = kGpt3ModelFlops / (500e15 * 0.4 * (495.0 / 989) * kThirtyDays);
  EXPECT_NEAR(tf32["sites_needed"].get<double>(), tf32_sites, 1e-9 * tf32_sites);
  EXPECT_EQ(tf32["at_measured"]["sites_whole"], 2);
  // bf16 as before: the rating x MFU.
  EXPECT_EQ(run_trainbench(h100_30_days("bf16")).out.find("MFU 40.0% of the"), std::string::npos);
}

TEST(EstimateSitesCli, EachSkusSitesFollowItsDtypePeak) {
  const auto j = json_of({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm,b200", "--dtype", "fp8", "--mfu",
                          "0.4", "--days", "30", "--site", "500p"});
  ASSERT_EQ(j["skus"].size(), 2u);
  const double fp8_over_bf16[] = {1979.0 / 989, 4500.0 / 2250};
  for (size_t i = 0; i < 2; ++i) {
    const double sites = kGpt3ModelFlops / (500e15 * 0.4 * fp8_over_bf16[i] * kThirtyDays);
    EXPECT_NEAR(j["skus"][i]["at_measured"]["sites_needed"].get<double>(), sites, 1e-9 * sites) << i;
  }
  const auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm,b200", "--dtype", "tf32",
                                 "--mfu", "0.4", "--days", "30", "--site", "500p"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("x the SKU's tf32 peak / its bf16 peak"), std::string::npos) << r.out;
}

// Without --site, --days 1 needing 2.87e8 GPUs (test_estimate_sites.cpp) is refused; with it, it
// was capped at 1e8 GPUs and said to meet the deadline in 2.87 days.
TEST(EstimateSitesCli, ADeadlineBeyondTheGpuBoundIsRefusedWithASiteToo) {
  const std::vector<std::string> args{"estimate", "--model", "llama3-405b", "--gpu", "rtx4090", "--mfu", "0.01",
                                      "--days", "1"};
  for (const bool site : {false, true}) {
    auto a = args;
    if (site) a.insert(a.end(), {"--site", "500p"});
    const auto r = run_trainbench(a);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.err.find("--days 1 needs 2.87e+08 GPUs, more than the 100000000 --gpus allows"), std::string::npos)
        << r.err;
    EXPECT_EQ(r.out.find("100000000 GPUs"), std::string::npos) << r.out;
  }
  // Beside a SKU that meets it, the one that cannot is no answer, said in its row.
  const auto j = json_of({"estimate", "--model", "llama3-405b", "--gpu", "h100-sxm,rtx4090", "--mfu", "0.01",
                          "--days", "1", "--site", "500p"});
  ASSERT_EQ(j["skus"].size(), 2u);
  EXPECT_TRUE(j["skus"][0].contains("gpus"));
  EXPECT_FALSE(j["skus"][1].contains("gpus"));
  EXPECT_NE(j["skus"][1]["why_not"].get<std::string>().find("needs 2.87e+08 rtx4090 GPUs"), std::string::npos)
      << j["skus"][1];
}

// The layout search picks 98,304 GPUs for one day; 192 sites of 506 hold only 97,152: the sites
// to build are 98,304 / 506 = 194.3 -> 195, beside the fewer the work alone fills: the model
// FLOPs over the site's rating x MFU x the layout's scaling (at_measured.efficiency) x a day.
TEST(EstimateSitesCli, TheSitesToBuildHoldTheLayoutsGpus) {
  const std::vector<std::string> args{"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4",
                                      "--days", "1", "--layout", "auto", "--site", "500p"};
  const auto j = json_of(args);
  const double efficiency = j["at_measured"]["efficiency"].get<double>();
  EXPECT_LT(efficiency, 0.4);  // MFU x a scaling below 1
  const double work_sites = kGpt3ModelFlops / (500e15 * efficiency * 86400);
  EXPECT_NEAR(j["at_measured"]["sites_needed"].get<double>(), work_sites, 1e-9 * work_sites);
  EXPECT_GT(work_sites, 192.0);  // more than 192 sites' 97,152 GPUs of work...
  EXPECT_LT(work_sites, 98304.0 / 506);  // ...but fewer sites than the GPUs used fill
  const auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("98304 GPUs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" (build 195)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("build 195: whole sites for the 98,304 GPUs used (506 per site, the layout's count); the "
                       "work alone fills " + fmt::format("{:.2f}", work_sites)),
            std::string::npos)
      << r.out;
  EXPECT_EQ(j["at_measured"]["sites_whole"], 195);
  EXPECT_EQ(j["sites_whole_hold_gpus"], 98304);
  EXPECT_DOUBLE_EQ(j["at_measured"]["cost_whole_sites"].get<double>(), 195 * 3.02e9);
}

// Without --days the sites answer the article's one-day question, and say so (the lines above may
// have shown --gpus taking weeks); a deadline given is not called a default.
TEST(EstimateSitesCli, SitesWithoutDaysSayTheyAnswerTheArticlesOneDay) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1024",
                           "--site", "500p"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("to finish in 1 day(s) (no --days: the article's one day; give --days"), std::string::npos)
      << r.out;
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--site", "500p", "--days", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("to finish in 1 day(s)\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("no --days"), std::string::npos) << r.out;
}

// The same 98,304 GPUs given by hand (tp 8 x pp 48 x dp 256, the layout the search picks) build the
// same 195 sites, with the same line: the rule does not depend on who chose the layout.
TEST(EstimateSitesCli, AHandLayoutBuildsTheSitesTheSearchDoes) {
  const std::vector<std::string> args{"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4",
                                      "--days", "1", "--tp", "8", "--pp", "48", "--dp", "256", "--site", "500p"};
  const auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" (build 195)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("build 195: whole sites for the 98,304 GPUs used (506 per site, the layout's count); the "
                       "work alone fills 193.5"),
            std::string::npos)
      << r.out;
  const auto j = json_of(args);
  EXPECT_EQ(j["at_measured"]["sites_whole"], 195);
  EXPECT_EQ(j["sites_whole_hold_gpus"], 98304);
  EXPECT_DOUBLE_EQ(j["at_measured"]["cost_whole_sites"].get<double>(), 195 * 3.02e9);
}

// The article's 3640 PF-days is Table D.1's 3.64E+03, rounded from the same 174.6 B parameters; every
// GPT-3 size's D.1 figure is set beside ours (XL: 6 x 1,315,737,600 x 300e9 / 8.64e19 = 27.41 vs 27.5).
TEST(EstimateSitesCli, TheArticlesFigureIsSaidAsTableD1sRounding) {
  auto r = run_trainbench({"estimate", "--model", "gpt3-175b"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3637.6 PF-days (published: 3640 PF-days = 3.14E+23 FLOP, Brown et al. 2020, Table D.1)"),
            std::string::npos)
      << r.out;
  r = run_trainbench({"estimate", "--model", "gpt3-xl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("27.41 PF-days (published: 27.5 PF-days = 2.38E+21 FLOP, Brown et al. 2020, Table D.1)"),
            std::string::npos)
      << r.out;
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--tokens", "600B"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("(published:"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tb::testing
