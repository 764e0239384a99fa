// What an assumed --mfu or --tflops means on a SKU (cli/assumed_rate_notes.hpp): an fp8 --mfu's
// peak and its bf16-peak equivalent, and a one-line warning, exit still 0, where the rate passes
// what the SKU's best GEMMs sustain (configs/skus/h100-sxm.toml [sustained]: bf16 795, fp8 1400;
// peaks bf16 989, fp8 1979).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// 0.95 x the fp8 peak 1979 = 1880.05 TFLOP/s, which against the bf16 peak is 1880.05 / 989 =
// 1.90096 (run --dtype fp8's scale); above the 1400 fp8 GEMMs sustain.
TEST(EstimateAssumedRateCli, Fp8MfuSaysItsPeakAndTheBf16EquivalentAndWarnsAboveSustained) {
  const auto r = run_trainbench(
      {"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--dtype", "fp8", "--mfu", "0.95", "--gpus", "1024"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("trainbench: note: --mfu 0.95 with --dtype fp8 is against h100-sxm's fp8 peak (1979 TFLOP/s): "
                       "1880 TFLOP/s, MFU 1.901 against its bf16 peak (989 TFLOP/s)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("trainbench: warning: --mfu 0.95 of h100-sxm's fp8 peak (1979 TFLOP/s) is 1880 TFLOP/s, above "
                       "the 1400 TFLOP/s h100-sxm's best fp8 GEMMs are measured to sustain"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(count(r.err, "trainbench: warning:"), 1) << r.err;
  // The answer itself says it too, where a reader of stdout (or --json) looks for the throughput.
  EXPECT_NE(r.out.find("MFU 1.901 against the bf16 peak 989 TFLOP/s, as run --dtype fp8 reports it"),
            std::string::npos)
      << r.out;
  const auto j = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--dtype", "fp8", "--mfu",
                                 "0.4", "--gpus", "1024", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  // 0.4 x 1979 = 791.6, below 1400: a note, no warning; 791.6 / 989 = 0.80040.
  EXPECT_EQ(count(j.err, "trainbench: warning:"), 0) << j.err;
  EXPECT_NE(nlohmann::json::parse(j.out)["throughput_source"].get<std::string>().find(
                "(fp8 peak 1979 TFLOP/s; MFU 0.8004 against the bf16 peak 989 TFLOP/s"),
            std::string::npos)
      << j.out;
}

// bf16: 0.95 x 989 = 939.55 TFLOP/s, above the 795 bf16 GEMMs sustain; 0.4 x 989 = 395.6 is not.
// No fp8 note where the dtype is bf16.
TEST(EstimateAssumedRateCli, Bf16MfuOrTflopsAboveSustainedIsOneWarningLine) {
  const auto high = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.95"});
  ASSERT_EQ(high.exit_code, 0) << high.err;
  EXPECT_NE(high.err.find("trainbench: warning: --mfu 0.95 of h100-sxm's bf16 peak (989 TFLOP/s) is 940 TFLOP/s, "
                          "above the 795 TFLOP/s h100-sxm's best bf16 GEMMs are measured to sustain (its config's "
                          "[sustained]): no training step runs faster than its best GEMM\n"),
            std::string::npos)
      << high.err;
  EXPECT_EQ(count(high.err, "trainbench: warning:"), 1) << high.err;
  EXPECT_EQ(count(high.err, "with --dtype fp8"), 0) << high.err;
  const auto low = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4"});
  ASSERT_EQ(low.exit_code, 0) << low.err;
  EXPECT_EQ(count(low.err, "trainbench: warning:"), 0) << low.err;

  const auto fast = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--tflops", "900"});
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  EXPECT_NE(fast.err.find("trainbench: warning: --tflops 900, above the 795 TFLOP/s h100-sxm's best bf16 GEMMs"),
            std::string::npos)
      << fast.err;
  const auto slow = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm", "--tflops", "700"});
  ASSERT_EQ(slow.exit_code, 0) << slow.err;
  EXPECT_EQ(count(slow.err, "trainbench: warning:"), 0) << slow.err;
}

// Several SKUs at one --mfu: each judged by its own config. 0.95 x 989 = 939.55 is above
// h100-sxm's 795 and h200's 800; B200's 0.95 x 2250 = 2137.5 above its 1745.
TEST(EstimateAssumedRateCli, SeveralSkusWarnEachAboveItsOwnSustained) {
  const auto r = run_trainbench(
      {"estimate", "--model", "gpt3-175b", "--gpu", "h100-sxm,h200,b200", "--mfu", "0.95", "--days", "30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count(r.err, "trainbench: warning:"), 3) << r.err;
  EXPECT_NE(r.err.find("above the 800 TFLOP/s h200's best bf16 GEMMs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("b200's bf16 peak (2250 TFLOP/s) is 2138 TFLOP/s, above the 1745"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace tb::testing
