// A kernel that leaves the device unusable (kernels::DeviceLostError, a sticky CUDA error) is
// recorded as failed where it happened; every kernel after it is recorded as skipped with that
// reason, instead of each failing with the same error and blaming itself.
#include <gtest/gtest.h>

#include "harness/runner/device_state.hpp"
#include "harness/runner/measure_op.hpp"
#include "tests/support/noop_kernel.hpp"

namespace tb::runner {
namespace {

using testing::NoopKernel;

// Loses the device when preparing the op named `lose_at_prepare` or sampling `lose_at_sample`.
class FakeBackend final : public kernels::Backend {
 public:
  std::string lose_at_prepare, lose_at_sample;
  std::string current;
  kernels::DeviceInfo device_info() const override { return {.backend = "fake", .name = "fake device"}; }
  std::unique_ptr<kernels::Kernel> prepare(const Op& op, const kernels::PrepareOptions&) override {
    if (op.name == lose_at_prepare) throw kernels::DeviceLostError("cudaMalloc: an illegal memory access");
    current = op.name;
    return std::make_unique<NoopKernel>();
  }
  double time_sample_ms(kernels::Kernel&) override {
    if (current == lose_at_sample) throw kernels::DeviceLostError("cudaEventSynchronize: unspecified launch failure");
    return 1.0;
  }
  void synchronize() override {}
  double free_memory_bytes() const override { return 1e12; }
};

MeasureOptions quick() {
  MeasureOptions o;
  o.policy.warmup_launches = 0;
  o.policy.min_samples = 3;
  o.policy.max_samples = 3;
  o.policy.min_time_s = 0;
  return o;
}

std::vector<results::KernelResult> measure_all(FakeBackend& backend, const std::vector<std::string>& names) {
  std::vector<results::KernelResult> out;
  for (const auto& n : names) out.push_back(measure_op(backend, make_gemm_op(n, {64, 64, 64}, DType::BF16), quick(), {}));
  return out;
}

TEST(DeviceLost, LaterKernelsAreSkippedNamingWhereItHappened) {
  for (const bool at_prepare : {true, false}) {
    reset_device_lost();
    FakeBackend backend;
    (at_prepare ? backend.lose_at_prepare : backend.lose_at_sample) = "qkv.fwd";
    const auto r = measure_all(backend, {"before", "qkv.fwd", "after1", "after2"});
    EXPECT_EQ(r[0].status, "ok");
    EXPECT_EQ(r[1].status, "failed");
    EXPECT_NE(r[1].error.find("device lost"), std::string::npos) << r[1].error;
    for (size_t i = 2; i < 4; ++i) {
      EXPECT_EQ(r[i].status, "skipped") << r[i].error;
      EXPECT_NE(r[i].error.find("qkv.fwd"), std::string::npos) << r[i].error;
      EXPECT_NE(r[i].error.find("new process"), std::string::npos) << r[i].error;
    }
    ASSERT_TRUE(device_lost());
  }
  reset_device_lost();
  FakeBackend healthy;
  for (const auto& k : measure_all(healthy, {"a", "b"})) EXPECT_EQ(k.status, "ok") << k.error;
}

}  // namespace
}  // namespace tb::runner
