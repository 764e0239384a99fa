// The memory `estimate` judges fits against: a SKU config's [memory] usable_gib where it gives one,
// said beside the nominal size, else the nominal [memory] gb read as GiB.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

class EstimateMemoryCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("tb_estimate_memory"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // configs/skus/l40s.toml with its usable_gib line replaced by `usable_line` ("" drops it).
  std::string l40s_with(const std::string& usable_line) {
    std::string text = read_text(std::string(TB_SOURCE_DIR) + "/configs/skus/l40s.toml");
    const std::string from = "usable_gib = 44.99\n";
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos);
    if (at != std::string::npos) text.replace(at, from.size(), usable_line);
    const std::string path = dir_ + "/l40s-copy.toml";
    write_text(path, text);
    return path;
  }
  std::string dir_;
};

// GPT-3 175B's training state: 16 B x 174,604,259,328 parameters = 2,793,668,149,248 B. Over the
// L40S's usable 44.99 GiB (46,068 MiB per nvidia-smi, 48,307,642,661 B) that is 57.83 -> 58 GPUs;
// over the nominal 48 GiB (51,539,607,552 B) it would be 54.20 -> 55.
TEST_F(EstimateMemoryCli, FitsAreJudgedAgainstTheUsableMemoryAndSaySo) {
  const std::vector<std::string> args{"estimate", "--model", "gpt3-175b", "--gpu", "l40s", "--tp", "8"};
  auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("at least 58 x NVIDIA L40S 48GB (44.99 GiB usable of 48) just to hold it"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(" of 44.99 GiB usable of 48 ("), std::string::npos) << r.out;
  auto args_json = args;
  args_json.push_back("--json");
  r = run_trainbench(args_json);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["min_gpus_to_hold"], 58);
  EXPECT_DOUBLE_EQ(j["memory"]["capacity_gib"].get<double>(), 44.99);
  EXPECT_DOUBLE_EQ(j["memory"]["nominal_gib"].get<double>(), 48);
  EXPECT_NEAR(j["memory"]["used_fraction"].get<double>(), j["memory"]["peak_bytes"].get<double>() / (44.99 * kGiB),
              1e-12);

  // The same SKU without the field: the nominal size, and no usable figure said.
  const std::string nominal = l40s_with("");
  r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", nominal, "--tp", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("at least 55 x NVIDIA L40S 48GB (48 GiB) just to hold it"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("usable"), std::string::npos) << r.out;
  j = nlohmann::json::parse(run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", nominal, "--tp", "8", "--json"}).out);
  EXPECT_EQ(j["min_gpus_to_hold"], 55);
  EXPECT_DOUBLE_EQ(j["memory"]["capacity_gib"].get<double>(), 48);
  EXPECT_FALSE(j["memory"].contains("nominal_gib"));
}

// A usable figure above the nominal, or not positive, is a broken config: exit 2, naming the file
// and the field.
TEST_F(EstimateMemoryCli, AUsableFigureAboveTheNominalIsRefused) {
  for (const auto& [line, why] : std::vector<std::pair<std::string, std::string>>{
           {"usable_gib = 48.5\n", "is above memory.gb = 48"}, {"usable_gib = 0\n", "must be positive"}}) {
    const std::string path = l40s_with(line);
    const auto r = run_trainbench({"estimate", "--model", "gpt3-175b", "--gpu", path, "--tp", "8"});
    EXPECT_EQ(r.exit_code, 2) << line << r.out;
    EXPECT_NE(r.err.find("l40s-copy.toml"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("memory.usable_gib"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace tb::testing
