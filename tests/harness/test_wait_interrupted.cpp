// A run interrupted while a wait on the device still waits (kernels::WaitInterruptedError: gpu-check's
// SIGTERM at a step's cap, a kernel hung): the kernel is recorded as interrupted, with the wait's
// words, the kernels after it as skipped, the results measured before it written, and the device
// marked lost, so that the process leaves without the CUDA teardown (cli/exit_path.hpp).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>

#include "harness/runner/device_state.hpp"
#include "harness/runner/interrupt.hpp"
#include "harness/runner/step_runner.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/noop_kernel.hpp"
#include "kernels/wait_interrupted.hpp"

namespace tb::runner {
namespace {

// Samples take 1 ms, but the wait for one of `hang_at` is interrupted, as a signal mid-wait does.
class HangingBackend final : public kernels::Backend {
 public:
  std::string hang_at;
  kernels::DeviceInfo device_info() const override { return {.backend = "fake", .name = "fake device"}; }
  std::unique_ptr<kernels::Kernel> prepare(const Op& op, const kernels::PrepareOptions&) override {
    current_ = op.name;
    return std::make_unique<testing::NoopKernel>();
  }
  double time_sample_ms(kernels::Kernel&) override {
    if (current_ == hang_at) {
      request_interrupt();  // what the signal handler sets
      throw kernels::WaitInterruptedError("a timed sample: the run was interrupted while waiting for it");
    }
    return 1.0;
  }
  void synchronize() override {}
  double free_memory_bytes() const override { return 1e12; }

 private:
  std::string current_;
};

TEST(WaitInterrupted, TheKernelIsInterruptedTheRestSkippedAndTheResultsKept) {
  reset_interrupted();
  reset_device_lost();
  const std::string dir = testing::make_temp_dir("tb_wait_interrupted_"), out = dir + "/run.json";
  Workload w;
  w.model.name = "fake";
  w.model.layers = 1;
  w.options.seq_len = 64;
  for (const char* name : {"a", "b", "c"}) w.ops.push_back(make_gemm_op(name, {64, 64, 64}, DType::FP32));
  StepRunOptions o;
  o.measure.policy.warmup_launches = 0;
  o.measure.policy.min_samples = 3;
  o.measure.policy.max_samples = 3;
  o.measure.policy.min_time_s = 0;
  o.out_path = out;
  HangingBackend backend;
  backend.hang_at = "b";
  const results::RunResults r = run_step(backend, w, o, {}, std::nullopt);
  const bool lost = device_lost().has_value();
  const std::string lost_reason = device_lost().value_or("");
  reset_interrupted();
  reset_device_lost();

  EXPECT_EQ(r.status, "partial");
  const auto file = nlohmann::json::parse(testing::read_text(out));
  std::filesystem::remove_all(dir);
  EXPECT_EQ(file.at("status"), "partial");
  const auto& k = file.at("kernels");
  ASSERT_EQ(k.size(), 3u);
  EXPECT_EQ(k[0].at("status"), "ok");
  EXPECT_EQ(k[0].at("samples_ms").size(), 3u) << "the kernel measured before the hang is kept";
  EXPECT_EQ(k[1].at("status"), "interrupted");
  const std::string error = k[1].at("error");
  EXPECT_NE(error.find("interrupted on the device"), std::string::npos) << error;
  EXPECT_NE(error.find("while waiting for it"), std::string::npos) << error;
  EXPECT_EQ(k[2].at("status"), "skipped");
  EXPECT_NE(k[2].at("error").get<std::string>().find("interrupted at b"), std::string::npos) << k[2].at("error");
  // The work still holds the device: the process must leave without the CUDA teardown.
  EXPECT_TRUE(lost);
  EXPECT_NE(lost_reason.find("at b "), std::string::npos) << lost_reason;
}

}  // namespace
}  // namespace tb::runner
