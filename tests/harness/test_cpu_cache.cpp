// Last-level cache size from sysfs: the parser by hand, the machine's total for sanity.
#include <gtest/gtest.h>

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

TEST(CpuCache, LocalLastLevelCacheIsZeroOrAtLeastAKibibyte) {
  const int64_t bytes = local_last_level_cache_bytes();  // 0 where sysfs lists no caches (some containers)
  EXPECT_TRUE(bytes == 0 || bytes >= 1024) << bytes;
}

}  // namespace
}  // namespace tb
