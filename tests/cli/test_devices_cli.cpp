// `trainbench devices`: one line when there is no GPU (with the reason), then the CPU.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kernels/backend.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb {
namespace {

TEST(DevicesCli, ListsTheCpuAndSaysWhyThereIsNoGpu) {
  const auto r = testing::run_trainbench({"devices"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("CPU: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OpenBLAS"), std::string::npos) << r.out;
  std::string why;
  if (kernels::cuda_device_available(&why)) {
    EXPECT_NE(r.out.find("GPU 0: "), std::string::npos) << r.out;
  } else {
    EXPECT_EQ(r.out.rfind("No usable GPU: " + why + "\n", 0), 0u) << r.out;  // the first line
  }
}

TEST(DevicesCli, JsonParses) {
  const auto r = testing::run_trainbench({"devices", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("cpu").at("backend"), "cpu");
  EXPECT_GE(j.at("cpu").at("sm_count").get<int>(), 1);
  if (j.at("gpus").empty()) EXPECT_FALSE(j.at("no_gpu_reason").get<std::string>().empty());
}

}  // namespace
}  // namespace tb
