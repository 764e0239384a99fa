// An attention kernel that ran on zero-padded head columns says so (Kernel::padded_head_dim), and
// the measurement records it as dims.padded_head_dim beside the op's own head_dim, whose FLOPs and
// bytes stay the result's; the kernel tables print it under the row.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/kernel_table.hpp"
#include "cli/run_printer.hpp"
#include "harness/runner/device_state.hpp"
#include "harness/runner/measure_op.hpp"

namespace tb::runner {
namespace {

class PaddedKernel final : public kernels::Kernel {
 public:
  explicit PaddedKernel(int64_t padded) : padded_(padded) {}
  void launch() override {}
  kernels::VerifyResult verify() override { return {true, 0, 1e-2, 1, ""}; }
  double bytes_allocated() const override { return 0; }
  int64_t padded_head_dim() const override { return padded_; }
  void corrupt_output_for_testing() override {}

 private:
  int64_t padded_;
};

// Runs every attention op on a kernel padded to `padded` (0: not padded).
class PaddingBackend final : public kernels::Backend {
 public:
  explicit PaddingBackend(int64_t padded) : padded_(padded) {}
  kernels::DeviceInfo device_info() const override {
    kernels::DeviceInfo d;
    d.backend = "fake";
    return d;
  }
  std::unique_ptr<kernels::Kernel> prepare(const Op&, const kernels::PrepareOptions&) override {
    return std::make_unique<PaddedKernel>(padded_);
  }
  double time_sample_ms(kernels::Kernel&) override { return 1.0; }
  void synchronize() override {}
  double free_memory_bytes() const override { return 1e12; }

 private:
  int64_t padded_;
};

MeasureOptions quick() {
  MeasureOptions o;
  o.policy.warmup_launches = 0;
  o.policy.min_samples = o.policy.max_samples = 3;
  o.policy.min_time_s = 0;
  return o;
}

// GPT-3 Large's attention: 16 heads of 96 at seq 2048, causal.
const AttentionShape kLarge{1, 16, 16, 2048, 96, true};

TEST(PaddedHeadDimRecord, APaddedKernelRecordsItsWidthAndKeepsTheTrueFlopsAndBytes) {
  reset_device_lost();
  PaddingBackend backend(128);
  const Op op = make_attention_op("attention.fwd", kLarge, DType::BF16, false);
  const auto r = measure_op(backend, op, quick(), {});
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.dims.at("head_dim"), 96);
  EXPECT_EQ(r.dims.at("padded_head_dim"), 128);
  // 4·b·h·s²·d / 2 at the true d, not at 128.
  EXPECT_DOUBLE_EQ(r.flops, 4.0 * 16 * 2048.0 * 2048 * 96 / 2);
  EXPECT_DOUBLE_EQ(r.flops, op.flops);
  EXPECT_DOUBLE_EQ(r.bytes, op.bytes);

  std::ostringstream single;
  cli::print_kernel_table(single, {r});
  EXPECT_NE(single.str().find("\n  head dim 96 run padded to 128 (zero columns; FLOPs and bytes are head dim 96's)\n"),
            std::string::npos)
      << single.str();
  results::RunResults run;
  run.kernels = {r};
  std::ostringstream step;
  cli::print_run_table(step, run);
  EXPECT_NE(step.str().find("head dim 96 run padded to 128"), std::string::npos) << step.str();
}

TEST(PaddedHeadDimRecord, AnUnpaddedKernelRecordsNoPaddedWidthAndNoNote) {
  reset_device_lost();
  PaddingBackend backend(0);
  const auto r = measure_op(backend, make_attention_op("attention.fwd", kLarge, DType::BF16, false), quick(), {});
  ASSERT_EQ(r.status, "ok") << r.error;
  EXPECT_EQ(r.dims.count("padded_head_dim"), 0u);
  EXPECT_EQ(cli::padding_note(r), "");
  std::ostringstream out;
  cli::print_kernel_table(out, {r});
  EXPECT_EQ(out.str().find("padded"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace tb::runner
