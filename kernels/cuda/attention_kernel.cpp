// The CUDA backend's attention kernels: our fused flash-style kernels (attention_fwd.cu,
// attention_bwd.cu; attention_fwd_wgmma.cu on sm_90a) or the unfused cuBLAS baseline (attention_unfused.cu), with random inputs,
// NaN-poisoned outputs and verification against the fp64 CPU reference on sampled rows. A head dim
// the fused kernels are not instantiated for runs on zero-padded columns
// (kernels/common/attention_padding.hpp): the real columns are verified at the true head dim, the
// pads must come out exactly zero.
#include "kernels/cuda/attention_kernel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "harness/common/errors.hpp"
#include "kernels/common/attention_padding.hpp"
#include "kernels/cpu/attention_verify.hpp"
#include "kernels/cuda/attention_launch.hpp"
#include "kernels/cuda/attention_unfused.hpp"
#include "kernels/cuda/bounded_wait.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/storage.hpp"

namespace tb::kernels::cuda {
namespace {

using attention::AttentionParams;
using attention::ElementType;
using attn::HeadDimPadding;

// The fused kernels run d on their next instantiation; unfused attention (cuBLAS GEMMs) any d.
HeadDimPadding padding_for(int64_t head_dim, bool fused) {
  if (fused) return attn::fused_head_dim_padding(head_dim);
  HeadDimPadding p;
  p.head_dim = p.padded_head_dim = head_dim;
  p.softmax_scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  return p;
}

class CudaAttentionKernel final : public Kernel {
 public:
  CudaAttentionKernel(const Op& op, const PrepareOptions& options, cudaStream_t stream)
      : problem_(cpu::make_problem(op.attention)),
        dtype_(op.dtype),
        backward_(op.kind == OpKind::AttentionBackward),
        fused_(options.attention_impl != "unfused"),
        wgmma_(options.attention_impl == "wgmma"),
        stream_(stream),
        pad_(padding_for(problem_.head_dim, fused_)) {
    check_attention_impl(options.attention_impl);
    if (wgmma_)
      if (const std::string why = attention::wgmma_unavailable_reason(); !why.empty())
        throw UnsupportedError("wgmma attention: " + why + "; --impl fused runs on any GPU");
    if (op.dtype != DType::BF16 && op.dtype != DType::FP16)
      throw UnsupportedError(fmt::format("attention on CUDA: dtype {} not supported; supported: bf16, fp16",
                                         to_string(op.dtype)));
    if (fused_ && !pad_.runs())
      throw UnsupportedError(fmt::format("fused attention: head_dim {}: fused attention is instantiated up to {}; use "
                                         "--impl unfused",
                                         problem_.head_dim, attn::kMaxFusedHeadDim));
    if (!fused_ && problem_.head_dim % 8 != 0)
      throw UnsupportedError(fmt::format("unfused attention on CUDA: head_dim {} must be a multiple of 8 (cuBLAS's "
                                         "16-byte alignment); --impl fused runs it zero-padded",
                                         problem_.head_dim));
    storage_ = op.dtype == DType::BF16 ? Storage::BF16 : Storage::F16;
    type_ = op.dtype == DType::BF16 ? ElementType::BF16 : ElementType::FP16;

    // Every tensor at the width the kernel runs (d_pad), the scale of the true d.
    const int64_t nq = q_rows() * pad_.padded_head_dim, nkv = kv_rows() * pad_.padded_head_dim;
    const int64_t nl = problem_.lse_elements();
    AttentionParams& p = params_;
    p.batch = problem_.batch, p.heads = problem_.heads, p.kv_heads = problem_.kv_heads, p.seq = problem_.seq;
    p.head_dim = static_cast<int>(pad_.padded_head_dim);
    p.causal = problem_.causal;
    p.softmax_scale = static_cast<float>(pad_.softmax_scale);
    double bytes = 2.0 * (2 * nq + 2 * nkv) + 4.0 * nl;
    if (backward_) bytes += 2.0 * (2 * nq + 2 * nkv) + 4.0 * (nl + nq);
    if (!fused_) bytes += attention::UnfusedAttention::scratch_bytes(p, type_, backward_);
    // Padded inputs are drawn d-wide into a staging buffer, freed once prepared.
    const double staging = pad_.padded() ? 2.0 * static_cast<double>(std::max(problem_.q_elements(),
                                                                             problem_.kv_elements()))
                                         : 0.0;
    check_fits(bytes + staging, fmt::format("attention {}", op.shape_string()));
    bytes_ = bytes;
    if (pad_.padded()) staging_ = DeviceBuffer(static_cast<size_t>(staging));

    q_ = DeviceBuffer(2 * nq), k_ = DeviceBuffer(2 * nkv), v_ = DeviceBuffer(2 * nkv);
    o_ = DeviceBuffer(2 * nq), lse_ = DeviceBuffer(4 * nl);
    fill_input(q_, q_rows(), options.seed + 1);
    fill_input(k_, kv_rows(), options.seed + 2);
    fill_input(v_, kv_rows(), options.seed + 3);
    poison(o_), poison(lse_);
    p.q = q_.get(), p.k = k_.get(), p.v = v_.get(), p.o = o_.get(), p.lse = lse_.as<float>();
    if (backward_) {
      dout_ = DeviceBuffer(2 * nq), dq_ = DeviceBuffer(2 * nq), dk_ = DeviceBuffer(2 * nkv), dv_ = DeviceBuffer(2 * nkv);
      fill_input(dout_, q_rows(), options.seed + 4);
      p.dout = dout_.get(), p.dq = dq_.get(), p.dk = dk_.get(), p.dv = dv_.get();
      if (fused_) {
        d_term_ = DeviceBuffer(4 * nl), dq_accum_ = DeviceBuffer(4 * nq);
        p.d_term = d_term_.as<float>(), p.dq_accum = dq_accum_.as<float>();
      }
    }
    if (!fused_) unfused_ = std::make_unique<attention::UnfusedAttention>(p, type_, backward_, stream_);
    if (backward_) {
      run_forward();  // O, LSE (and the unfused P) are the backward's inputs
      poison(dq_), poison(dk_), poison(dv_);
    }
    // The backward's forward is a kernel's first run: a hang there is recorded, not waited out.
    wait_for_stream(stream_, "preparing attention (input fills and, for the backward, the forward)");
    staging_ = DeviceBuffer();
  }

  void launch() override {
    if (!backward_) return run_forward();
    if (fused_) attention::launch_attention_backward(params_, type_, stream_);
    else unfused_->backward();
  }

  VerifyResult verify() override {
    wait_for_stream(stream_, "attention before verifying");
    if (q_host_.empty()) {  // the exact values the kernel consumed, widened to float
      q_host_ = real_host_floats(q_, q_rows(), nullptr);
      k_host_ = real_host_floats(k_, kv_rows(), nullptr);
      v_host_ = real_host_floats(v_, kv_rows(), nullptr);
      if (backward_) dout_host_ = real_host_floats(dout_, q_rows(), nullptr);
    }
    cpu::AttentionHostTensors t;
    t.q = q_host_.data(), t.k = k_host_.data(), t.v = v_host_.data(), t.dout = dout_host_.data();
    const double tol = cpu::attention_tolerance(dtype_);
    std::string pads;  // the first output pad that is not zero, if any
    if (!backward_) {
      const auto o = real_host_floats(o_, q_rows(), &pads, "O");
      const auto lse = copy_to_host_floats(lse_.get(), Storage::F32, problem_.lse_elements());
      t.o = o.data(), t.lse = lse.data();
      return with_pad_check(cpu::verify_attention_forward(problem_, t, tol), pads);
    }
    const auto dq = real_host_floats(dq_, q_rows(), &pads, "dQ");
    const auto dk = real_host_floats(dk_, kv_rows(), &pads, "dK");
    const auto dv = real_host_floats(dv_, kv_rows(), &pads, "dV");
    t.dq = dq.data(), t.dk = dk.data(), t.dv = dv.data();
    return with_pad_check(cpu::verify_attention_backward(problem_, t, tol), pads);
  }

  double bytes_allocated() const override { return bytes_; }
  int64_t padded_head_dim() const override { return pad_.padded() ? pad_.padded_head_dim : 0; }

  std::string algorithm() const override {
    if (!fused_) return "unfused: cuBLAS batched GEMM + softmax kernel (s x s matrices in memory)";
    const std::string padded =
        pad_.padded() ? fmt::format("; head dim {} zero-padded to {}", pad_.head_dim, pad_.padded_head_dim) : "";
    if (backward_)
      return std::string("fused mma.sync m16n8k16, FlashAttention-2 backward (dQ by fp32 atomics)") +
             (wgmma_ ? "; no wgmma backward yet" : "") + padded;
    return (wgmma_ ? "fused wgmma m64n64k16 / m64nDk16 (sm_90a), FlashAttention-2 forward, 64x64 tiles"
                   : "fused mma.sync m16n8k16, FlashAttention-2 forward, 64x64 tiles") +
           padded;
  }

  void corrupt_output_for_testing() override {
    // Element 0 belongs to row 0 of (batch 0, head 0): always among the verified rows. The
    // element copies run on the legacy stream, which does not wait for our non-blocking one.
    wait_for_stream(stream_, "attention before planting a wrong value");
    void* target = backward_ ? dk_.get() : o_.get();
    write_element(target, storage_, 0, read_element(target, storage_, 0) + 1000.f);
  }

 private:
  void run_forward() {
    if (wgmma_) attention::launch_attention_forward_wgmma(params_, type_, stream_);
    else if (fused_) attention::launch_attention_forward(params_, type_, stream_);
    else unfused_->forward();
  }
  // All-ones bits: NaN in bf16, fp16 and fp32, so an element no launch wrote fails verification
  // (the pads of a padded run too: the kernels write every column of their width).
  void poison(DeviceBuffer& b) { TB_CUDA_CHECK(cudaMemsetAsync(b.get(), 0xff, b.bytes(), stream_)); }

  int64_t q_rows() const { return problem_.batch * problem_.seq * problem_.heads; }
  int64_t kv_rows() const { return problem_.batch * problem_.seq * problem_.kv_heads; }

  // Unit-variance inputs, uniform in [−√3, √3) (fill_uniform: offset + scale·U[−1, 1)): scores
  // of unit variance after the 1/sqrt(d) scale, a softmax neither flat nor one-hot; never zeros
  // in the real columns. A padded tensor draws its rows d-wide (the values an unpadded run of the
  // same seed would see) and copies them beside zeroed pads.
  void fill_input(DeviceBuffer& b, int64_t rows, uint64_t seed) {
    const float offset = 0.f, half_width = 1.7320508f;
    if (!pad_.padded()) return fill_uniform(b.get(), storage_, rows * pad_.head_dim, seed, offset, half_width, stream_);
    fill_uniform(staging_.get(), storage_, rows * pad_.head_dim, seed, offset, half_width, stream_);
    TB_CUDA_CHECK(cudaMemsetAsync(b.get(), 0, b.bytes(), stream_));
    const size_t element = storage_bytes(storage_);
    const size_t real_pitch = element * static_cast<size_t>(pad_.head_dim);
    TB_CUDA_CHECK(cudaMemcpy2DAsync(b.get(), element * static_cast<size_t>(pad_.padded_head_dim), staging_.get(),
                                    real_pitch, real_pitch, static_cast<size_t>(rows), cudaMemcpyDeviceToDevice,
                                    stream_));
  }

  // A tensor's real columns on the host, widened to float. `pads` (when given) gets the first pad
  // element of `name` that is not exactly zero, unless an earlier tensor's is already there.
  std::vector<float> real_host_floats(const DeviceBuffer& b, int64_t rows, std::string* pads,
                                      const char* name = "") const {
    std::vector<float> all = copy_to_host_floats(b.get(), storage_, rows * pad_.padded_head_dim);
    if (!pad_.padded()) return all;
    int64_t first = -1;
    const int64_t bad = attn::nonzero_pads(all.data(), rows, pad_, &first);
    if (pads && bad > 0 && pads->empty())
      *pads = fmt::format("{} of {}'s pad columns (head dim {} padded to {}) are not zero; the first, element {}, is "
                          "{}",
                          bad, name, pad_.head_dim, pad_.padded_head_dim, first, all[static_cast<size_t>(first)]);
    std::vector<float> real(static_cast<size_t>(rows * pad_.head_dim));
    attn::real_columns(all.data(), rows, pad_, real.data());
    return real;
  }

  static VerifyResult with_pad_check(VerifyResult v, const std::string& pads) {
    if (pads.empty()) return v;
    v.passed = false;
    v.detail = v.detail.empty() ? pads : v.detail + "; " + pads;
    return v;
  }

  cpu::AttentionProblem problem_;
  DType dtype_;
  bool backward_, fused_, wgmma_;
  cudaStream_t stream_;
  HeadDimPadding pad_;
  Storage storage_ = Storage::BF16;
  ElementType type_ = ElementType::BF16;
  AttentionParams params_;
  double bytes_ = 0;
  DeviceBuffer q_, k_, v_, o_, lse_, dout_, dq_, dk_, dv_, d_term_, dq_accum_, staging_;
  std::unique_ptr<attention::UnfusedAttention> unfused_;
  std::vector<float> q_host_, k_host_, v_host_, dout_host_;
};

}  // namespace

std::unique_ptr<Kernel> make_attention_kernel(const Op& op, const PrepareOptions& options, cudaStream_t stream) {
  if (!is_attention(op.kind))
    throw RuntimeError(fmt::format("make_attention_kernel: op '{}' is {}, not an attention pass", op.name,
                                   to_string(op.kind)));
  return std::make_unique<CudaAttentionKernel>(op, options, stream);
}

}  // namespace tb::kernels::cuda
