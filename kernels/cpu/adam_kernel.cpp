#include "kernels/cpu/adam_kernel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "kernels/common/float_formats.hpp"
#include "kernels/common/memory_ops_math.hpp"
#include "kernels/cpu/adam_check.hpp"
#include "kernels/cpu/parallel_for.hpp"

namespace tb::kernels::cpu {
namespace {

using adamcheck::AdamTensor;

// Parameters per task of the parallel loop: 64 KiB of each fp32 stream, enough to amortise the
// pool's hand-off and few enough tasks to balance the cores.
constexpr int64_t kBlock = 16384;

// A block's update over separate (restrict) streams and an int count: what lets the compiler
// vectorize the loop without runtime alias checks on seven pointers.
void update_block(const float* __restrict g, const float* __restrict w, const float* __restrict m,
                  const float* __restrict v, float* __restrict w_out, float* __restrict m_out,
                  float* __restrict v_out, int count, memops::AdamStep p) {
  for (int i = 0; i < count; ++i) {
    const memops::AdamState s = memops::adamw_update({w[i], m[i], v[i]}, g[i], p);
    w_out[i] = s.w;
    m_out[i] = s.m;
    v_out[i] = s.v;
  }
}

class CpuAdamKernel final : public Kernel {
 public:
  CpuAdamKernel(const Op& op, const PrepareOptions& options)
      : n_(op.memory.cols), copy_dtype_(op.dtype), grad_(filled(AdamTensor::Gradient, options.seed)) {
    state_[0][0] = filled(AdamTensor::Master, options.seed);
    state_[0][1] = filled(AdamTensor::M, options.seed);
    state_[0][2] = filled(AdamTensor::V, options.seed);
    for (auto& t : state_[1]) t.assign(static_cast<size_t>(n_), 0.0f);
    if (adamcheck::writes_copy(op)) copy_.assign(static_cast<size_t>(n_), 0);
  }

  void launch() override {
    ++step_;
    const memops::AdamStep p = memops::adam_step_at(step_);
    const auto& in = state_[(step_ - 1) % 2];
    auto& out = state_[step_ % 2];
    const float* g = grad_.data();
    const float *w = in[0].data(), *m = in[1].data(), *v = in[2].data();
    float *w_out = out[0].data(), *m_out = out[1].data(), *v_out = out[2].data();
    uint16_t* copy = copy_.empty() ? nullptr : copy_.data();
    const bool bf16 = copy_dtype_ == DType::BF16;
    const int64_t n = n_;
    parallel_for((n + kBlock - 1) / kBlock, [=](int64_t b) {
      const int64_t begin = b * kBlock;
      const int count = static_cast<int>(std::min(n, begin + kBlock) - begin);
      update_block(g + begin, w + begin, m + begin, v + begin, w_out + begin, m_out + begin, v_out + begin, count, p);
      const int64_t end = begin + count;
      // The working copy in a loop of its own: one conversion per loop, no branch per element.
      if (!copy) return;
      if (bf16)
        for (int64_t i = begin; i < end; ++i) copy[i] = float_to_bf16(w_out[i]);
      else
        for (int64_t i = begin; i < end; ++i) copy[i] = float_to_fp16(w_out[i]);
    });
  }

  VerifyResult verify() override {
    adamcheck::AdamData d;
    d.grad = grad_;
    const auto& in = state_[(std::max<int64_t>(step_, 1) - 1) % 2];
    const auto& out = state_[std::max<int64_t>(step_, 1) % 2];
    d.in_w = in[0];
    d.in_m = in[1];
    d.in_v = in[2];
    d.out_w = out[0];
    d.out_m = out[1];
    d.out_v = out[2];
    d.copy = copy_;
    return adamcheck::verify(d, copy_dtype_, std::max<int64_t>(step_, 1));
  }

  double bytes_allocated() const override {
    return static_cast<double>(n_) * (4.0 * 7.0 + (copy_.empty() ? 0.0 : 2.0));
  }

  std::string algorithm() const override {
    return fmt::format("cpu fp32 AdamW (apex's FusedAdam math), blocks of {} parameters, out of place{}", kBlock,
                       copy_.empty() ? "" : fmt::format(", {} copy", to_string(copy_dtype_)));
  }

  void corrupt_output_for_testing() override {
    // Element 0 is always among the checked ones.
    state_[std::max<int64_t>(step_, 1) % 2][0][0] += 1.0f;
  }

 private:
  std::vector<float> filled(AdamTensor t, uint64_t seed) const {
    const auto rule = adamcheck::fill_rule(t, seed);
    std::vector<float> v(static_cast<size_t>(n_));
    for (size_t i = 0; i < v.size(); ++i) v[i] = rule.offset + rule.scale * memops::hash_uniform(rule.seed, i);
    return v;
  }

  int64_t n_;
  DType copy_dtype_;
  std::vector<float> grad_;
  std::vector<float> state_[2][3];  // [copy][master, m, v]: launch t reads copy (t-1)%2, writes t%2
  std::vector<uint16_t> copy_;
  int64_t step_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_adam_kernel(const Op& op, const PrepareOptions& options) {
  adamcheck::validate(op);
  return std::make_unique<CpuAdamKernel>(op, options);
}

}  // namespace tb::kernels::cpu
