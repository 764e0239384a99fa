// The one note every measuring command prints about the SKU behind its figures
// (runner::sku_note): for a GPU whose name matches no config exactly, without --sku.
#include <gtest/gtest.h>

#include "harness/runner/machine_info.hpp"

namespace tb::runner {
namespace {

kernels::DeviceInfo gpu(const std::string& name, double memory_gb) {
  kernels::DeviceInfo d;
  d.backend = "cuda";
  d.name = name;
  d.memory_gb = memory_gb;
  return d;
}

TEST(SkuNote, AVariantIsSaidOnceAndTheBasePartIsNot) {
  const std::string nvl = sku_note(gpu("NVIDIA H200 NVL", 139.8), "");
  EXPECT_EQ(nvl.rfind("trainbench: note: no SKU config matches the device name \"NVIDIA H200 NVL\" exactly", 0), 0u)
      << nvl;
  EXPECT_FALSE(sku_for(gpu("NVIDIA H200 NVL", 139.8), "", PeaksNeeded::compute));  // an unknown GPU
  EXPECT_EQ(sku_note(gpu("NVIDIA H200", 139.8), ""), "");
  ASSERT_TRUE(sku_for(gpu("NVIDIA H200", 139.8), "", PeaksNeeded::compute));
  EXPECT_EQ(sku_for(gpu("NVIDIA H200", 139.8), "", PeaksNeeded::compute)->name, "h200");
  // --sku is the user's choice: said as an override only where it overrides a match.
  EXPECT_EQ(sku_note(gpu("NVIDIA H200 NVL", 139.8), "h200"), "");
  kernels::DeviceInfo matched = gpu("NVIDIA H200", 139.8);
  matched.matched_sku = "h200";
  EXPECT_NE(sku_note(matched, "h100-sxm").find("--sku h100-sxm overrides h200"), std::string::npos);
  // The CPU backend has its own pseudo-SKU, not a GPU config to match.
  kernels::DeviceInfo cpu;
  cpu.backend = "cpu";
  cpu.name = "AMD EPYC 7B13";
  EXPECT_EQ(sku_note(cpu, ""), "");
}

}  // namespace
}  // namespace tb::runner
