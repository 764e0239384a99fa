// The optimizer step: mixed-precision AdamW over a chunk of this GPU's parameters, what apex's and
// Transformer Engine's FusedAdam (multi_tensor_adam) run for Megatron-LM once per optimizer step.
// Per parameter it reads the fp32 gradient, master weight, m and v and writes the master, m, v and
// the bf16 or fp16 working copy: 30 B (op.bytes), measured in GB/s against the SKU's bandwidth.
// The per-element math is memops::adamw_update, the function the CPU kernel runs and the CPU tests
// check against the fp64 reference. A grid-stride loop moving 16-byte packs (four parameters), the
// n % 4 left over one each (kernels/common/adam_split.hpp); the state ping-pongs between two copies
// (adam_check.hpp), which on a GPU moves the bytes an in-place update does (full-sector writes read
// nothing from DRAM).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <string>

#include "kernels/common/adam_split.hpp"
#include "kernels/common/memory_ops_math.hpp"
#include "kernels/cpu/adam_check.hpp"
#include "kernels/cuda/adam_kernel.hpp"
#include "kernels/cuda/bounded_wait.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/storage.hpp"

namespace tb::kernels::cuda {
namespace {

namespace mo = memops;
using adamcheck::AdamTensor;

// The working copy's format, chosen at run time (uniform over the grid, so no divergence): one
// kernel for all three instead of a template instantiation each.
enum CopyFormat : int { kNoCopy = 0, kCopyBf16 = 1, kCopyFp16 = 2 };

__device__ inline uint16_t to_copy(float w, int format) {
  return format == kCopyBf16 ? __bfloat16_as_ushort(__float2bfloat16_rn(w)) : __half_as_ushort(__float2half_rn(w));
}

__device__ inline void update_one(const float* g, const float* w, const float* m, const float* v, float* w_out,
                                  float* m_out, float* v_out, uint16_t* copy, int64_t i, const mo::AdamStep& p,
                                  int format) {
  const mo::AdamState s = mo::adamw_update({w[i], m[i], v[i]}, g[i], p);
  w_out[i] = s.w;
  m_out[i] = s.m;
  v_out[i] = s.v;
  if (format != kNoCopy) copy[i] = to_copy(s.w, format);
}

__global__ void __launch_bounds__(256)
    adamw_kernel(const float* __restrict__ g, const float* __restrict__ w, const float* __restrict__ m,
                 const float* __restrict__ v, float* __restrict__ w_out, float* __restrict__ m_out,
                 float* __restrict__ v_out, uint16_t* __restrict__ copy, int64_t n, mo::AdamStep p, int format) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  // cudaMalloc's 256-byte alignment makes every 4-float pack 16-byte aligned (the copy's 8-byte).
  auto pack = [&](int64_t q) {
    const float4 gq = reinterpret_cast<const float4*>(g)[q], wq = reinterpret_cast<const float4*>(w)[q];
    const float4 mq = reinterpret_cast<const float4*>(m)[q], vq = reinterpret_cast<const float4*>(v)[q];
    const float gs[4] = {gq.x, gq.y, gq.z, gq.w}, ws[4] = {wq.x, wq.y, wq.z, wq.w};
    const float ms[4] = {mq.x, mq.y, mq.z, mq.w}, vs[4] = {vq.x, vq.y, vq.z, vq.w};
    float wo[4], mo_[4], vo[4];
    uint16_t co[4];
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const mo::AdamState s = mo::adamw_update({ws[e], ms[e], vs[e]}, gs[e], p);
      wo[e] = s.w;
      mo_[e] = s.m;
      vo[e] = s.v;
      co[e] = format != kNoCopy ? to_copy(s.w, format) : 0;
    }
    reinterpret_cast<float4*>(w_out)[q] = make_float4(wo[0], wo[1], wo[2], wo[3]);
    reinterpret_cast<float4*>(m_out)[q] = make_float4(mo_[0], mo_[1], mo_[2], mo_[3]);
    reinterpret_cast<float4*>(v_out)[q] = make_float4(vo[0], vo[1], vo[2], vo[3]);
    if (format != kNoCopy)
      reinterpret_cast<uint2*>(copy)[q] = make_uint2(co[0] | (static_cast<uint32_t>(co[1]) << 16),
                                                     co[2] | (static_cast<uint32_t>(co[3]) << 16));
  };
  auto one = [&](int64_t i) { update_one(g, w, m, v, w_out, m_out, v_out, copy, i, p, format); };
  adam_thread_walk(n, first, stride, pack, one);
}

// The parameters verification checks (adamcheck::checked_indices), gathered from the seven fp32
// tensors and the working copy into `floats` [tensor][k] and `copy_out` [k]: one launch and one
// copy back of ~130 KB instead of the whole state (half a gigabyte at 2^24 parameters).
struct AdamTensors {
  const float* t[7];  // gradient, in w, m, v, out w, m, v
  const uint16_t* copy;  // null without a working copy
};

__global__ void __launch_bounds__(256)
    adam_gather_kernel(AdamTensors src, const int64_t* __restrict__ indices, int64_t count, float* __restrict__ floats,
                       uint16_t* __restrict__ copy_out) {
  const int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (k >= count) return;
  const int64_t i = indices[k];
#pragma unroll
  for (int t = 0; t < 7; ++t) floats[t * count + k] = src.t[t][i];
  if (src.copy) copy_out[k] = src.copy[i];
}

class CudaAdamKernel final : public Kernel {
 public:
  CudaAdamKernel(const Op& op, const PrepareOptions& options, cudaStream_t stream)
      : stream_(stream), n_(op.memory.cols), copy_dtype_(op.dtype),
        format_(op.dtype == DType::BF16 ? kCopyBf16 : op.dtype == DType::FP16 ? kCopyFp16 : kNoCopy) {
    const size_t floats = static_cast<size_t>(n_) * sizeof(float);
    check_fits(static_cast<double>(n_) * (7.0 * 4.0 + (format_ != kNoCopy ? 2.0 : 0.0)),
               std::string("adam update '") + op.name + "' " + op.shape_string());
    grad_ = DeviceBuffer(floats);
    for (auto& copy : state_)
      for (auto& t : copy) t = DeviceBuffer(floats);
    if (format_ != kNoCopy) copy_ = DeviceBuffer(static_cast<size_t>(n_) * 2);
    auto fill = [&](const DeviceBuffer& b, AdamTensor t) {
      const auto rule = adamcheck::fill_rule(t, options.seed);
      fill_uniform(b.get(), Storage::F32, n_, rule.seed, rule.offset, rule.scale, stream_);
    };
    fill(grad_, AdamTensor::Gradient);
    fill(state_[0][0], AdamTensor::Master);
    fill(state_[0][1], AdamTensor::M);
    fill(state_[0][2], AdamTensor::V);
    // NaN (0xff bytes) where the first launch writes: a kernel that never ran fails the check.
    for (auto& t : state_[1]) TB_CUDA_CHECK(cudaMemsetAsync(t.get(), 0xff, t.bytes(), stream_));
    if (format_ != kNoCopy) TB_CUDA_CHECK(cudaMemsetAsync(copy_.get(), 0xff, copy_.bytes(), stream_));
  }

  void launch() override {
    ++step_;
    const auto& in = state_[(step_ - 1) % 2];
    const auto& out = state_[step_ % 2];
    const auto blocks = static_cast<unsigned>(adam_blocks(n_, 256, 1 << 20));
    adamw_kernel<<<blocks, 256, 0, stream_>>>(grad_.as<float>(), in[0].as<float>(), in[1].as<float>(),
                                              in[2].as<float>(), out[0].as<float>(), out[1].as<float>(),
                                              out[2].as<float>(), copy_.as<uint16_t>(), n_,
                                              mo::adam_step_at(step_), format_);
    TB_CUDA_CHECK(cudaGetLastError());
  }

  VerifyResult verify() override {
    wait_for_stream(stream_, "adam update before verifying");
    const int64_t step = step_ > 0 ? step_ : 1;
    const auto& in = state_[(step - 1) % 2];
    const auto& out = state_[step % 2];
    adamcheck::AdamData d;
    d.params = n_;
    d.held = adamcheck::checked_indices(n_);
    const size_t k = d.held.size();
    const auto count = static_cast<int64_t>(k);
    DeviceBuffer indices(k * sizeof(int64_t)), floats(7 * k * sizeof(float)), copies(k * sizeof(uint16_t));
    TB_CUDA_CHECK(cudaMemcpyAsync(indices.get(), d.held.data(), indices.bytes(), cudaMemcpyHostToDevice, stream_));
    const AdamTensors src{{grad_.as<float>(), in[0].as<float>(), in[1].as<float>(), in[2].as<float>(),
                           out[0].as<float>(), out[1].as<float>(), out[2].as<float>()},
                          format_ != kNoCopy ? copy_.as<uint16_t>() : nullptr};
    adam_gather_kernel<<<static_cast<unsigned>((count + 255) / 256), 256, 0, stream_>>>(
        src, indices.as<int64_t>(), count, floats.as<float>(), copies.as<uint16_t>());
    TB_CUDA_CHECK(cudaGetLastError());
    std::vector<float> host(7 * k);
    TB_CUDA_CHECK(cudaMemcpyAsync(host.data(), floats.get(), floats.bytes(), cudaMemcpyDeviceToHost, stream_));
    if (format_ != kNoCopy) {
      d.copy.resize(k);
      TB_CUDA_CHECK(cudaMemcpyAsync(d.copy.data(), copies.get(), copies.bytes(), cudaMemcpyDeviceToHost, stream_));
    }
    wait_for_stream(stream_, "adam update's checked parameters copied back");
    std::vector<float>* tensors[7] = {&d.grad, &d.in_w, &d.in_m, &d.in_v, &d.out_w, &d.out_m, &d.out_v};
    for (size_t t = 0; t < 7; ++t) tensors[t]->assign(host.begin() + t * k, host.begin() + (t + 1) * k);
    return adamcheck::verify(d, copy_dtype_, step);
  }

  double bytes_allocated() const override {
    double b = static_cast<double>(grad_.bytes() + copy_.bytes());
    for (const auto& copy : state_)
      for (const auto& t : copy) b += static_cast<double>(t.bytes());
    return b;
  }

  std::string algorithm() const override {
    return std::string("trainbench CUDA kernel: fp32 AdamW (apex's FusedAdam math), grid-stride over 16-byte packs") +
           (format_ == kNoCopy ? "" : std::string(", ") + to_string(copy_dtype_) + " working copy");
  }

  void corrupt_output_for_testing() override {
    wait_for_stream(stream_, "adam update before planting a wrong value");
    const auto& out = state_[(step_ > 0 ? step_ : 1) % 2];
    write_element(out[0].get(), Storage::F32, 0, read_element(out[0].get(), Storage::F32, 0) + 1.0f);  // checked
  }

 private:
  cudaStream_t stream_;
  int64_t n_;
  DType copy_dtype_;
  int format_;
  DeviceBuffer grad_, copy_;
  DeviceBuffer state_[2][3];  // [copy][master, m, v]: launch t reads copy (t-1)%2, writes t%2
  int64_t step_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> make_adam_kernel(const Op& op, const PrepareOptions& options, cudaStream_t stream) {
  adamcheck::validate(op);
  return std::make_unique<CudaAdamKernel>(op, options, stream);
}

}  // namespace tb::kernels::cuda
