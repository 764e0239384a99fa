// `trainbench attention` as a user runs it (CPU backend, small shapes): JSON fields and the FLOP
// convention, both passes and implementations, a planted wrong result (exit 1), bad input
// (exit 2, naming the flag).
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tests/support/cli_runner.hpp"

namespace tb {
namespace {

using testing::run_trainbench;

// A small CPU case; `extra` flags replace the defaults of the same name.
std::vector<std::string> attention_args(std::vector<std::string> extra) {
  std::vector<std::pair<std::string, std::string>> base{
      {"--device", "cpu"}, {"--batch", "1"}, {"--heads", "4"}, {"--kv-heads", "2"}, {"--seq", "80"},
      {"--head-dim", "64"}, {"--min-time", "0"}, {"--max-time", "0.2"}, {"--max-samples", "12"}};
  std::vector<std::string> a{"attention"};
  for (const auto& [flag, value] : base) {
    if (std::find(extra.begin(), extra.end(), flag) != extra.end()) continue;
    a.push_back(flag);
    a.push_back(value);
  }
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

TEST(AttentionCli, JsonHasShapeFlopsAndVerification) {
  for (const std::string pass : {"fwd", "bwd"}) {
    for (const std::string impl : {"fused", "unfused"}) {
      for (const bool causal : {false, true}) {
        SCOPED_TRACE(pass + " " + impl + (causal ? " causal" : ""));
        auto args = attention_args({"--pass", pass, "--impl", impl, "--json"});
        if (causal) args.push_back("--causal");
        const auto r = run_trainbench(args);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto j = nlohmann::json::parse(r.out);
        EXPECT_EQ(j.at("heads"), 4);
        EXPECT_EQ(j.at("kv_heads"), 2);
        EXPECT_EQ(j.at("seq"), 80);
        EXPECT_EQ(j.at("head_dim"), 64);
        EXPECT_EQ(j.at("causal"), causal);
        EXPECT_EQ(j.at("impl"), impl);
        EXPECT_EQ(j.at("pass"), pass);
        EXPECT_EQ(j.at("dtype"), "fp32");  // the CPU computes fp32
        EXPECT_EQ(j.at("verified"), true);
        EXPECT_EQ(j.at("status"), "ok");
        // 4·b·h·s²·d, halved when causal; backward 2.5x.
        double flops = 4.0 * 1 * 4 * 80 * 80 * 64 / (causal ? 2 : 1);
        if (pass == "bwd") flops *= 2.5;
        EXPECT_DOUBLE_EQ(j.at("flops").get<double>(), flops);
        EXPECT_NEAR(j.at("tflops").get<double>(), flops / (j.at("median_ms").get<double>() * 1e-3) / 1e12, 1e-9);
        EXPECT_NE(j.at("flops_convention").get<std::string>().find("2.5x"), std::string::npos);
      }
    }
  }
}

TEST(AttentionCli, TableStatesTheFlopConvention) {
  const auto r = run_trainbench(attention_args({"--causal"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("TFLOP/s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("halved when causal"), std::string::npos) << r.out;
}

TEST(AttentionCli, PlantedWrongResultExitsOne) {
  for (const std::string pass : {"fwd", "bwd"}) {
    const auto r = run_trainbench(attention_args({"--pass", pass}), "TRAINBENCH_TEST_CORRUPT_OUTPUT=1");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("WRONG RESULT"), std::string::npos) << r.err;
  }
}

// The wgmma kernel is CUDA sm_90a only: on the CPU it is refused before measuring (exit 2),
// saying what the CPU offers instead.
TEST(AttentionCli, WgmmaOnTheCpuIsRefusedClearly) {
  const auto r = run_trainbench(attention_args({"--impl", "wgmma"}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--impl wgmma"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sm_90a"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fused or unfused"), std::string::npos) << r.err;
}

// Unfused attention (GEMMs and a softmax) runs any head width a multiple of 8: DeepSeek-V3's 192.
TEST(AttentionCli, UnfusedRunsOtherHeadWidths) {
  const auto r = run_trainbench(attention_args({"--head-dim", "192", "--impl", "unfused", "--pass", "fwd", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("head_dim"), 192);
  EXPECT_EQ(j.at("verified"), true);
  const auto fused = run_trainbench(attention_args({"--head-dim", "192"}));
  EXPECT_EQ(fused.exit_code, 2);
  EXPECT_NE(fused.err.find("--head-dim 192: fused attention is instantiated up to 128; use --impl unfused"),
            std::string::npos)
      << fused.err;
  const auto odd = run_trainbench(attention_args({"--head-dim", "100", "--impl", "unfused"}));
  EXPECT_EQ(odd.exit_code, 2);
  EXPECT_NE(odd.err.find("multiples of 8"), std::string::npos) << odd.err;
}

// Head dims the fused GPU kernels run zero-padded (GPT-3 Large's 96, 2.7B's 80, an odd 72) are
// accepted by the fused and unfused CPU kernels, which run any width as it is: verified at the
// true d, FLOPs of the true d, no padded width recorded.
TEST(AttentionCli, FusedAndUnfusedCpuRunHeadDimsBetweenTheInstantiations) {
  for (const std::string d : {"96", "80", "72"})
    for (const std::string pass : {"fwd", "bwd"})
      for (const std::string impl : {"fused", "unfused"}) {
        SCOPED_TRACE("d " + d + " " + pass + " " + impl);
        const auto r = run_trainbench(
            attention_args({"--head-dim", d, "--pass", pass, "--impl", impl, "--causal", "--json"}));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto j = nlohmann::json::parse(r.out);
        EXPECT_EQ(j.at("head_dim"), std::stoi(d));
        EXPECT_FALSE(j.contains("padded_head_dim")) << "the CPU runs every width as it is";
        EXPECT_EQ(j.at("verified"), true);
        const double fwd = 4.0 * 1 * 4 * 80 * 80 * std::stoi(d) / 2;
        EXPECT_DOUBLE_EQ(j.at("flops").get<double>(), pass == "bwd" ? 2.5 * fwd : fwd);
      }
}

TEST(AttentionCli, BadInputExitsTwoNamingTheFlag) {
  struct Bad {
    std::vector<std::string> args;
    std::string flag;
  };
  const std::vector<Bad> cases = {
      {{"--head-dim", "0"}, "--head-dim"},
      {{"--head-dim", "129"}, "--head-dim 129: fused attention is instantiated up to 128"},
      {{"--seq", "0"}, "--seq"},
      {{"--heads", "6", "--kv-heads", "4"}, "--kv-heads"},
      {{"--impl", "magic"}, "--impl"},
      {{"--pass", "sideways"}, "--pass"},
      {{"--dtype", "int4"}, "--dtype"},
      {{"--dtype", "fp16"}, "--dtype fp16: the CPU backend computes attention in fp32"},
      {{"--batch", "-1"}, "--batch"},
      // --kv-heads is 1..heads and divides heads; 0 is not "the default".
      {{"--kv-heads", "0"}, "--kv-heads"},
      {{"--kv-heads", "8"}, "--kv-heads"},
      // CLI11 would saturate these to INT64_MAX silently.
      {{"--heads", "99999999999999999999"}, "--heads"},
      {{"--batch", "-99999999999999999999"}, "--batch"},
      // Over memory: refused with the bytes its tensors need, not std::bad_alloc.
      {{"--seq", "64", "--batch", "1000000000", "--heads", "1000000000", "--kv-heads", "1000000000"}, "does not fit"},
      {{"--pass", "bwd", "--seq", "64", "--batch", "1000000000", "--heads", "1000000000", "--kv-heads", "1"},
       "dQ, dK, dV"},
      // One CPU sample of 8 heads at s = 10^6 (4·8·s²·64 = 2.0e15 FLOP) outlasts 10 minutes at any
      // peak below 3.4 TFLOP/s (this 2-core machine's measured-clock estimate is about 0.5).
      {{"--seq", "1000000", "--heads", "8", "--kv-heads", "1"}, "CPU sample"},
      {{"--min-time", "5", "--max-time", "0.01"}, "--min-time"},
  };
  for (const auto& c : cases) {
    const auto r = run_trainbench(attention_args(c.args));
    EXPECT_EQ(r.exit_code, 2) << c.flag << ": " << r.err;
    EXPECT_NE(r.err.find(c.flag), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace tb
