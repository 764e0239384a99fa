// The CPU backend's attention kernels: fused = the tiled flash-style implementation, unfused =
// OpenBLAS GEMMs around a materialised softmax. fp32 whatever the requested dtype (the CPU has
// no bf16 arithmetic worth timing); verified against the fp64 reference.
#include "kernels/cpu/attention_kernel.hpp"

#include <fmt/format.h>

#include <limits>
#include <random>
#include <vector>

#include "harness/common/errors.hpp"
#include "kernels/cpu/attention_tiled.hpp"
#include "kernels/cpu/attention_verify.hpp"

namespace tb::kernels::cpu {
namespace {

void fill_normal(std::vector<float>& x, std::mt19937_64& rng) {
  // N(0,1) inputs give scores of unit variance after the 1/sqrt(d) scale: peaked enough that
  // a wrong max or mask shows, never all-equal as zeros would be.
  std::normal_distribution<float> dist(0.f, 1.f);
  for (auto& e : x) e = dist(rng);
}

class CpuAttentionKernel final : public Kernel {
 public:
  CpuAttentionKernel(const Op& op, const PrepareOptions& options)
      : problem_(make_problem(op.attention)),
        backward_(op.kind == OpKind::AttentionBackward),
        fused_(options.attention_impl == "fused") {
    check_attention_impl(options.attention_impl);
    if (options.attention_impl == "wgmma")
      throw UnsupportedError("--impl wgmma is a CUDA kernel for H100/H200 (sm_90a); the CPU backend has fused, unfused");
    const auto nq = static_cast<size_t>(problem_.q_elements());
    const auto nkv = static_cast<size_t>(problem_.kv_elements());
    const auto nl = static_cast<size_t>(problem_.lse_elements());
    std::mt19937_64 rng(options.seed);
    q_.resize(nq), k_.resize(nkv), v_.resize(nkv);
    fill_normal(q_, rng), fill_normal(k_, rng), fill_normal(v_, rng);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    o_.assign(nq, nan), lse_.assign(nl, nan);
    if (backward_) {
      dout_.resize(nq);
      fill_normal(dout_, rng);
      run_forward();  // the backward's inputs O and LSE
      dq_.assign(nq, nan), dk_.assign(nkv, nan), dv_.assign(nkv, nan);
    }
  }

  void launch() override {
    if (!backward_) return run_forward();
    if (fused_)
      tiled_attention_backward(problem_, q_.data(), k_.data(), v_.data(), o_.data(), lse_.data(), dout_.data(),
                               dq_.data(), dk_.data(), dv_.data());
    else
      unfused_attention_backward(problem_, q_.data(), k_.data(), v_.data(), lse_.data(), dout_.data(), dq_.data(),
                                 dk_.data(), dv_.data());
  }

  VerifyResult verify() override {
    AttentionHostTensors t{q_.data(), k_.data(), v_.data(), dout_.data(), o_.data(), lse_.data(),
                           dq_.data(), dk_.data(), dv_.data()};
    const double tol = attention_tolerance(DType::FP32);
    return backward_ ? verify_attention_backward(problem_, t, tol) : verify_attention_forward(problem_, t, tol);
  }

  double bytes_allocated() const override {
    const size_t n = q_.size() + k_.size() + v_.size() + o_.size() + lse_.size() + dout_.size() + dq_.size() +
                     dk_.size() + dv_.size();
    return 4.0 * static_cast<double>(n);
  }

  std::string algorithm() const override {
    return fused_ ? "cpu tiled flash-style, 32x32 tiles, fp32" : "cpu unfused: OpenBLAS sgemm + softmax, fp32";
  }

  void corrupt_output_for_testing() override {
    // Row 0 of (batch 0, head 0) is always among the verified rows.
    if (backward_) dk_[0] += 1000.f;
    else o_[0] += 1000.f;
  }

 private:
  void run_forward() {
    if (fused_) tiled_attention_forward(problem_, q_.data(), k_.data(), v_.data(), o_.data(), lse_.data());
    else unfused_attention_forward(problem_, q_.data(), k_.data(), v_.data(), o_.data(), lse_.data());
  }

  AttentionProblem problem_;
  bool backward_;
  bool fused_;
  std::vector<float> q_, k_, v_, o_, lse_, dout_, dq_, dk_, dv_;
};

}  // namespace

std::unique_ptr<Kernel> make_attention_kernel(const Op& op, const PrepareOptions& options) {
  if (!is_attention(op.kind))
    throw RuntimeError(fmt::format("make_attention_kernel: op '{}' is {}, not an attention pass", op.name,
                                   to_string(op.kind)));
  return std::make_unique<CpuAttentionKernel>(op, options);
}

}  // namespace tb::kernels::cpu
