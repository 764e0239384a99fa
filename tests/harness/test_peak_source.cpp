// Where a results file's peaks came from (machine.peak_source, harness/runner/machine_info.hpp): a
// SKU config's datasheet, or the CPU's estimate from this run or from the peak cache, so that a
// peak_tflops at 4200 MHz beside a run that measured 3800 MHz says why.
#include <gtest/gtest.h>

#include "harness/hardware/cpu_peak.hpp"
#include "harness/hardware/sku_config.hpp"
#include "harness/runner/machine_info.hpp"

namespace tb::runner {
namespace {

SkuConfig named(const std::string& name) {
  SkuConfig s;
  s.name = name;
  return s;
}

TEST(PeakSource, NamesTheSkuOrWhereTheCpuEstimateCameFrom) {
  EXPECT_EQ(peak_source(std::nullopt, false, false, ""), "");  // an unknown GPU: no peaks
  EXPECT_EQ(peak_source(named("h100-sxm"), false, false, ""), "sku h100-sxm");
  // A cache flag on a datasheet SKU (--sku over the CPU backend) changes nothing: the peaks are the config's.
  EXPECT_EQ(peak_source(named("h100-sxm"), true, true, "/c/peaks.json"), "sku h100-sxm");
  const SkuConfig cpu = named(kCpuPseudoSkuName);
  EXPECT_EQ(peak_source(cpu, false, false, "/c/peaks.json"), "cpu estimate, this run");
  EXPECT_EQ(peak_source(cpu, true, false, "/c/peaks.json"),
            "cpu estimate, the highest on this machine so far (/c/peaks.json)");
  EXPECT_EQ(peak_source(cpu, false, true, "/c/peaks.json"),
            "cpu estimate, the highest on this machine so far (/c/peaks.json)");
}

TEST(PeakSource, RecordSkuWritesTheSourceOfADatasheetSku) {
  results::MachineInfo m;
  m.measured_clock_mhz = 1;  // left over: a datasheet SKU carries no measurement of this run
  record_sku(m, load_sku("h100-sxm"), DType::BF16);
  EXPECT_EQ(m.peak_source, "sku h100-sxm");
  EXPECT_FALSE(m.measured_clock_mhz);
  EXPECT_FALSE(m.measured_memory_tb_s);
  record_sku(m, std::nullopt, DType::BF16);
  EXPECT_EQ(m.peak_source, "");
}

}  // namespace
}  // namespace tb::runner
