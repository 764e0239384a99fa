// The CPU pseudo-SKU's measured memory bandwidth: STREAM's byte count, the TB/s arithmetic,
// array sizing from the cache, and how the figure and its provenance reach the pseudo-SKU.
#include <gtest/gtest.h>

#include "harness/hardware/cpu_bandwidth.hpp"
#include "harness/hardware/cpu_peak.hpp"

namespace tb {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

TEST(CpuBandwidth, CountsBytesAsStreamDoes) {
  EXPECT_DOUBLE_EQ(stream_triad_bytes(1000), 24'000);  // 2 reads + 1 write of 8 bytes
  EXPECT_DOUBLE_EQ(stream_triad_bytes(0), 0);
}

TEST(CpuBandwidth, ConvertsBytesAndSecondsToTbPerSecond) {
  EXPECT_DOUBLE_EQ(bandwidth_tb_s(24e9, 2.0), 0.012);
  EXPECT_DOUBLE_EQ(bandwidth_tb_s(1e12, 0.5), 2.0);
  EXPECT_DOUBLE_EQ(bandwidth_tb_s(1e9, 0.0), 0.0);  // untimed: no figure rather than infinity
  // 3 x 64 MiB of doubles in 10 ms: 3 * 8 * 8'388'608 B / 0.01 s = 2.01326592e10 B/s
  StreamTriadResult r;
  r.elements = 8 * kMiB;
  r.best_seconds = 0.01;
  EXPECT_DOUBLE_EQ(stream_triad_tb_s(r), 0.0201326592);
  EXPECT_DOUBLE_EQ(stream_triad_tb_s(StreamTriadResult{}), 0.0);
}

TEST(CpuBandwidth, SizesArraysFromTheLastLevelCache) {
  EXPECT_EQ(stream_triad_elements(32 * kMiB), 128 * kMiB / 8);  // four times the cache
  EXPECT_EQ(stream_triad_elements(0), 64 * kMiB / 8);           // cache unknown: the floor
  EXPECT_EQ(stream_triad_elements(8 * kMiB), 64 * kMiB / 8);
  EXPECT_EQ(stream_triad_elements(1024 * kMiB), 1024 * kMiB / 8);  // the ceiling
}

TEST(CpuBandwidth, PseudoSkuRecordsTheMeasuredFigureAndSaysSo) {
  const auto peak = estimate_cpu_peak("processor\t: 0\nflags\t\t: avx2 fma\n", 2'000'000.0);
  StreamTriadResult triad;
  triad.elements = 16 * kMiB;  // 128 MiB per array
  triad.threads = 2;
  triad.repetitions = 5;
  triad.best_seconds = 0.2;  // 3 * 8 * 16'777'216 B / 0.2 s = 2.01326592e9 B/s
  const SkuConfig sku = cpu_pseudo_sku(peak, triad);
  EXPECT_DOUBLE_EQ(sku.memory_bandwidth_tb_s, 0.00201326592);
  EXPECT_NE(sku.source.find("estimated:"), std::string::npos) << sku.source;
  EXPECT_NE(sku.source.find("measured: STREAM triad 3 x 128 MiB on 2 threads, best of 5: 2.0 GB/s"),
            std::string::npos)
      << sku.source;

  const SkuConfig unmeasured = cpu_pseudo_sku(peak, std::nullopt);
  EXPECT_EQ(unmeasured.memory_bandwidth_tb_s, 0);
  EXPECT_EQ(unmeasured.source.find("measured:"), std::string::npos) << unmeasured.source;
}

}  // namespace
}  // namespace tb
