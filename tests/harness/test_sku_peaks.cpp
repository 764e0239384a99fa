// SKU peaks as a config gives them: a missing one named by file and field with the fix, and a
// wider dtype's dense peak above a narrower one's (a 10x typo) refused at load.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/config/config_catalog.hpp"
#include "harness/hardware/sku_config.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/usage_message.hpp"

namespace tb {
namespace {

using testing::message_of;
using testing::replace_once;

std::string h100_text() {
  std::ifstream in(config::config_root() / "skus" / "h100-sxm.toml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class SkuPeaks : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("tb_sku_peaks_"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    testing::write_text(path, text);
    return path;
  }
  std::string dir_;
};

TEST_F(SkuPeaks, AMissingPeakNamesTheFileTheFieldAndTheFix) {
  const std::string path = write("bad.toml", replace_once(h100_text(), "bf16 = 989", "# bf16 removed"));
  const SkuConfig sku = load_sku(path);  // a SKU may list only some dtypes
  const std::string msg = message_of([&] { sku.peak_tflops_for(DType::BF16); });
  EXPECT_NE(msg.find(path + ": SKU 'h100-sxm' has no bf16 peak: no field 'peak_tflops.bf16'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("it lists fp64, fp32, tf32, fp16, fp8"), std::string::npos) << msg;
  EXPECT_NE(msg.find("add `bf16 = <dense TFLOP/s>` under [peak_tflops]"), std::string::npos) << msg;
  // As the user meets it.
  const auto r = testing::run_trainbench({"estimate", "--gpu", path, "--mfu", "0.4", "--days", "30"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(path + ": SKU 'h100-sxm' has no bf16 peak: no field 'peak_tflops.bf16'"), std::string::npos) << r.err;
}

// bf16 = 9890 beside fp8 = 1979, or fp32 = 670 beside bf16 = 495 (tf32's figure typed as bf16):
// a wider dtype is never faster dense, so each is refused naming the file, both fields and values.
TEST_F(SkuPeaks, AWiderDtypeAboveANarrowerOneIsRefused) {
  std::string msg = message_of([&] { load_sku(write("ten_x.toml", replace_once(h100_text(), "bf16 = 989", "bf16 = 9890"))); });
  EXPECT_NE(msg.find("ten_x.toml: peak_tflops.bf16 = 9890 is above peak_tflops.fp8 = 1979"), std::string::npos)
      << msg;
  msg = message_of([&] { load_sku(write("fp32.toml", replace_once(h100_text(), "fp32 = 67", "fp32 = 6700"))); });
  EXPECT_NE(msg.find("fp32.toml: peak_tflops.fp32 = 6700 is above peak_tflops.bf16 = 989"), std::string::npos)
      << msg;
  msg = message_of([&] { load_sku(write("tf32.toml", replace_once(h100_text(), "tf32 = 495", "tf32 = 4950"))); });
  EXPECT_NE(msg.find("tf32.toml: peak_tflops.tf32 = 4950 is above peak_tflops.bf16 = 989"), std::string::npos)
      << msg;
  msg = message_of([&] { load_sku(write("fp16.toml", replace_once(h100_text(), "fp16 = 989", "fp16 = 9890"))); });
  EXPECT_NE(msg.find("fp16.toml: peak_tflops.fp16 = 9890 is above peak_tflops.fp8 = 1979"), std::string::npos)
      << msg;
  // Equal is no typo (the RTX 4090's fp32 and tf32 are both 82.6).
  EXPECT_NO_THROW(load_sku(write("equal.toml", replace_once(h100_text(), "fp8 = 1979", "fp8 = 989"))));
}

// Every shipped SKU passes (b200's fp32 is the upper of the documents' 75-80; the RTX 4090's bf16
// is the fp32-accumulate rate, half of fp16-accumulate, still above its fp32 and below its fp8).
TEST_F(SkuPeaks, EveryShippedSkuLoads) {
  const auto names = config::available_names(config::ConfigKind::Sku);
  EXPECT_GE(names.size(), 8u);
  for (const auto& name : names) {
    const SkuConfig s = load_sku(name);
    const double fp32 = s.peak_tflops_or_zero(DType::FP32), bf16 = s.peak_tflops_or_zero(DType::BF16),
                 fp8 = s.peak_tflops_or_zero(DType::FP8);
    EXPECT_GT(bf16, 0) << name;
    EXPECT_LE(fp32, bf16) << name;
    if (fp8 > 0) EXPECT_LE(bf16, fp8) << name;
  }
}

}  // namespace
}  // namespace tb
