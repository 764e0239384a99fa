// CPU frequency scaling as Google Benchmark judges it, on fake /sys trees: any governor other than
// "performance" is scaling; no governor at all is unknown, not "disabled".
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "harness/hardware/cpu_scaling.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb {
namespace {

namespace fs = std::filesystem;

void governor(const std::string& root, int cpu, const std::string& name) {
  const std::string dir = root + "/cpu" + std::to_string(cpu) + "/cpufreq";
  fs::create_directories(dir);
  testing::write_text(dir + "/scaling_governor", name + "\n");
}

TEST(CpuScaling, AnyGovernorButPerformanceScalesAndNoneIsUnknown) {
  const std::string root = testing::make_temp_dir("tb_cpu_scaling_");
  EXPECT_FALSE(read_cpu_scaling(root, 4).has_value());  // a VM without cpufreq
  governor(root, 0, "performance");
  governor(root, 1, "performance");
  EXPECT_EQ(read_cpu_scaling(root, 2), std::optional<bool>(false));
  governor(root, 3, "powersave");
  EXPECT_EQ(read_cpu_scaling(root, 4), std::optional<bool>(true));  // cpu2 unreadable, cpu3 scales
  EXPECT_EQ(read_cpu_scaling(root, 3), std::optional<bool>(false));  // only CPUs below the count
  fs::remove_all(root);
}

}  // namespace
}  // namespace tb
