// Last-level cache size from sysfs: the parser by hand, the machine's total for sanity.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "harness/hardware/cpu_cache.hpp"

namespace tb {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

TEST(CpuCache, ParsesSysfsCacheSizes) {
  EXPECT_EQ(parse_cache_size("32768K"), 32 * kMiB);
  EXPECT_EQ(parse_cache_size("32768K\n"), 32 * kMiB);
  EXPECT_EQ(parse_cache_size("1M"), kMiB);
  EXPECT_EQ(parse_cache_size("512"), 512);
  EXPECT_EQ(parse_cache_size(""), 0);
  EXPECT_EQ(parse_cache_size("K"), 0);
  EXPECT_EQ(parse_cache_size("12X"), 0);
}

// The sum over last-level cache instances, checked against cpu0's own sysfs listing read here:
// at least cpu0's last-level cache (one instance), at most one instance of that size per CPU
// (instances as large as cpu0's, as on the x86 servers this runs on); 0 where cpu0 lists no data
// cache (some containers).
TEST(CpuCache, LocalLastLevelCacheIsAtLeastCpu0sAndAtMostOnePerCpu) {
  namespace fs = std::filesystem;
  auto line = [](const fs::path& p) {
    std::ifstream in(p);
    std::string s;
    std::getline(in, s);
    return s;
  };
  int level = 0;
  int64_t cpu0_llc = 0;
  std::error_code ec;
  for (const auto& index : fs::directory_iterator("/sys/devices/system/cpu/cpu0/cache", ec)) {
    if (index.path().filename().string().rfind("index", 0) != 0 || line(index.path() / "type") == "Instruction")
      continue;
    const int l = std::atoi(line(index.path() / "level").c_str());
    const int64_t size = parse_cache_size(line(index.path() / "size"));
    if (l > level && size > 0) {
      level = l;
      cpu0_llc = size;
    }
  }
  const int64_t bytes = local_last_level_cache_bytes();
  if (cpu0_llc == 0) {
    EXPECT_EQ(bytes, 0);
    return;
  }
  int cpus = 0;
  for (const auto& cpu : fs::directory_iterator("/sys/devices/system/cpu", ec)) {
    const std::string name = cpu.path().filename().string();
    cpus += name.size() > 3 && name.rfind("cpu", 0) == 0 && std::isdigit(static_cast<unsigned char>(name[3]));
  }
  EXPECT_GE(bytes, cpu0_llc);
  EXPECT_LE(bytes, cpu0_llc * cpus) << cpus << " CPUs";
}

}  // namespace
}  // namespace tb
