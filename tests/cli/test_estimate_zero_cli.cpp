// `estimate`'s ZeRO stage: chosen by the layout search where --zero does not pin it, said with
// its reason; and ZeRO-3's keep-gathered variant, only beside --zero 3, with its traffic and
// memory charged and printed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

// --zero3-keep-gathered modifies ZeRO-3 only: without --zero 3 it is a usage error naming both flags.
TEST(EstimateZeroCli, KeepGatheredWithoutZero3IsAUsageErrorNamingBothFlags) {
  const std::vector<std::string> layout = {"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4",
                                           "--gpus", "1024", "--tp", "8", "--pp", "16"};
  struct Case {
    std::vector<std::string> extra;
    std::string got;
  };
  for (const Case& c : {Case{{"--zero3-keep-gathered"}, "(got no --zero)"},
                        Case{{"--zero", "2", "--zero3-keep-gathered"}, "(got --zero 2)"},
                        Case{{"--zero", "0", "--zero3-keep-gathered"}, "(got --zero 0)"}}) {
    std::vector<std::string> args = layout;
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("--zero3-keep-gathered keeps ZeRO-3's gathered weights"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("give it with --zero 3 " + c.got), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  // The search does not try it unasked either: it needs --zero 3 there too.
  const auto search = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4",
                                      "--gpus", "1024", "--layout", "auto", "--zero3-keep-gathered"});
  EXPECT_EQ(search.exit_code, 2) << search.err;
  EXPECT_NE(search.err.find("give it with --zero 3"), std::string::npos) << search.err;
  // Without a layout it feeds nothing.
  const auto alone = run_trainbench({"estimate", "--model", "gpt3-175b", "--zero3-keep-gathered"});
  EXPECT_EQ(alone.exit_code, 2) << alone.err;
  EXPECT_NE(alone.err.find("--zero3-keep-gathered"), std::string::npos) << alone.err;
}

// GPT-3 175B on 1024 A100s at tp 8 x pp 16 (dp 8, m = 1536 / 8 = 192): plain ZeRO-3 gathers the
// weights 2 x 192 times a step, kept gathered 192 times; each reduce-scatters 192 times. So the
// data-parallel traffic is (192 + 192) / (192 + 384) = 2/3 of plain ZeRO-3's. Kept gathered, each
// GPU holds its stage's whole bf16 weights, 2 B x its parameters, beside ZeRO-3's shard.
TEST(EstimateZeroCli, KeepGatheredChargesOneGatherPerMicroBatchAndTheWholeStagesWeights) {
  auto run = [](bool keep, bool json) {
    std::vector<std::string> args = {"estimate", "--model", "gpt3-175b", "--gpu", "a100-sxm-80g", "--tflops", "140",
                                     "--gpus", "1024", "--tp", "8", "--pp", "16", "--zero", "3"};
    if (keep) args.push_back("--zero3-keep-gathered");
    if (json) args.push_back("--json");
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  };
  const auto plain = nlohmann::json::parse(run(false, true).out), kept = nlohmann::json::parse(run(true, true).out);
  EXPECT_EQ(plain["scaling"]["dp_all_gathers"], 384);
  EXPECT_EQ(kept["scaling"]["dp_all_gathers"], 192);
  EXPECT_EQ(kept["scaling"]["dp_reduce_scatters"], 192);
  EXPECT_EQ(kept["scaling"]["zero3_keep_gathered"], true);
  EXPECT_NEAR(kept["scaling"]["dp_allreduce_s"].get<double>() / plain["scaling"]["dp_allreduce_s"].get<double>(),
              2.0 / 3, 1e-12);
  EXPECT_LT(kept["wall_days"].get<double>(), plain["wall_days"].get<double>());
  const auto& stage = kept["memory"]["first_stage"];
  EXPECT_EQ(kept["memory"]["zero3_keep_gathered"], true);
  EXPECT_DOUBLE_EQ(stage["gathered_weight_bytes"].get<double>(), 2 * stage["params"].get<double>());
  EXPECT_DOUBLE_EQ(stage["weight_bytes"].get<double>(),
                   plain["memory"]["first_stage"]["weight_bytes"].get<double>() +
                       stage["gathered_weight_bytes"].get<double>());
  EXPECT_EQ(plain["memory"]["first_stage"]["gathered_weight_bytes"], 0.0);
  const std::string text = run(true, false).out;
  EXPECT_NE(text.find("ZeRO 3 (weights kept gathered from forward to backward)"), std::string::npos) << text;
  EXPECT_NE(text.find("(kept gathered "), std::string::npos) << text;
  EXPECT_NE(text.find("ZeRO 3 kept gathered: 192 x (all-gather + reduce-scatter) of"), std::string::npos) << text;
}

// Llama 3 405B's long-context stage (docs/comm.md): unpinned, the search prints the stage it took
// for its best layout and why, in one line; --zero 2 pins the stage, and the line says so.
TEST(EstimateZeroCli, TheSearchSaysWhichStageItTookAndWhyAndZeroPinsIt) {
  const std::vector<std::string> base = {"estimate", "--model", "llama3-405b", "--seq", "131072", "--global-batch",
                                         "128", "--gpus", "16384", "--gpu", "h100-sxm", "--mfu", "0.38", "--layout",
                                         "auto"};
  const auto free = run_trainbench(base);
  ASSERT_EQ(free.exit_code, 0) << free.err;
  EXPECT_NE(free.out.find("ZeRO 1, 2 or 3 where dp x cp > 1 (the lowest that fits)"), std::string::npos) << free.out;
  EXPECT_NE(free.out.find("best's ZeRO stage: ZeRO-1 (252.4 GiB) and ZeRO-2 (158.0 GiB) do not fit: > 71.7 GiB (90% of "
                          "79.65 GiB usable of 80); ZeRO-3 fits at 63.5 GiB\n"),
            std::string::npos)
      << free.out;
  EXPECT_NE(free.out.find("--tp 8 --cp 16 --pp 1 --dp 128 --micro-batches 1 --micro-batch-size 1 --zero 3"),
            std::string::npos)
      << free.out;
  auto pinned_args = base;
  pinned_args.insert(pinned_args.end(), {"--zero", "2", "--json"});
  const auto pinned = run_trainbench(pinned_args);
  ASSERT_EQ(pinned.exit_code, 0) << pinned.err;
  const auto j = nlohmann::json::parse(pinned.out);
  EXPECT_EQ(j["layout_search"]["zero_stage_pinned"], 2);
  ASSERT_FALSE(j["layout_search"]["ranked"].empty());
  for (const auto& c : j["layout_search"]["ranked"]) {
    EXPECT_EQ(c["zero_stage"], 2) << c.dump();
    EXPECT_EQ(c["zero_reason"], "ZeRO-2, as --zero pins it") << c.dump();
  }
  EXPECT_EQ(j["layout_search"]["ranked"][0]["pp"], 16);  // Meta's published layout (docs/comm.md)
  EXPECT_EQ(j["memory"]["zero_stage"], 2);
}

// GPT-3 175B needs 33 H100s just to hold its training state (ZeRO-3 over all): on 32 nothing fits
// at any stage, which the refusal says (exit 1) without proposing a stage the search has tried;
// pinned to ZeRO-1 it proposes leaving --zero out.
TEST(EstimateZeroCli, NothingFitsSaysSoAtEveryStageTried) {
  const std::vector<std::string> base = {"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4",
                                         "--gpus", "32", "--layout", "auto"};
  const auto free = run_trainbench(base);
  EXPECT_EQ(free.exit_code, 1) << free.err;
  EXPECT_NE(free.out.find("0 fit in 79.65 GiB usable of 80"), std::string::npos) << free.out;
  EXPECT_NE(free.err.find("no layout of gpt3-175b fits 79.65 GiB usable of 80 at ZeRO-1, 2 or 3: try more --gpus (at "
                          "least 33 just to hold the training state)"),
            std::string::npos)
      << free.err;
  EXPECT_EQ(free.err.find("--zero"), std::string::npos) << free.err;
  auto pinned = base;
  pinned.insert(pinned.end(), {"--zero", "1"});
  const auto one = run_trainbench(pinned);
  EXPECT_EQ(one.exit_code, 1) << one.err;
  EXPECT_NE(one.err.find("no --zero (the search then tries ZeRO-1, 2 and 3)"), std::string::npos) << one.err;
}

}  // namespace
}  // namespace tb::testing
