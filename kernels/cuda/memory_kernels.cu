// Memory-bound kernels of a training step: simple CUDA kernels of our own over bf16/fp16/fp32
// storage with fp32 math from kernels/common/memory_ops_math.hpp (the functions the CPU tests
// exercise). Row ops (norms, cross-entropy) take one 256-thread block per row: each thread
// folds a strided slice into a mergeable partial state (Welford, online softmax), the block
// combines them in shared memory, then writes the row, re-read from L1/L2. Elementwise ops are
// grid-stride loops. Measured in GB/s against op.bytes; checked against the fp64 reference on
// the host (memory_op_check.hpp). Loads and stores move 16-byte packs where the row length
// allows (a multiple of 8 bf16/fp16 or 4 fp32 elements; GPT shapes always are).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <string>

#include "kernels/common/memory_ops_math.hpp"
#include "kernels/cpu/memory_op_check.hpp"
#include "kernels/cuda/bounded_wait.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/memory_device.cuh"
#include "kernels/cuda/memory_kernel.hpp"
#include "kernels/cuda/storage.hpp"

namespace tb::kernels::cuda {
namespace {

namespace mo = memops;
using namespace memdev;

#define TB_FOR_ROW_CHUNKS(j) for (int64_t j = threadIdx.x * V; j < cols; j += kRowThreads * V)

template <typename T>
__global__ void norm_forward_kernel(const T* x, const float* gamma, const float* beta, T* y, float* mean_out,
                                    float* rstd_out, int64_t cols, bool layer, bool write_y) {
  constexpr int V = Chunk<T>::V;
  const bool packed = cols % V == 0;
  const T* xr = x + static_cast<int64_t>(blockIdx.x) * cols;
  float mean = 0, rstd;
  if (layer) {
    mo::MeanVar s;
    TB_FOR_ROW_CHUNKS(j) {
      Chunk<T> c;
      c.load_from(xr, j, cols, packed);
      for (int e = 0; e < V; ++e)
        if (j + e < cols) mo::update(s, c.v[e]);
    }
    s = block_reduce(s);
    mean = s.mean;
    rstd = mo::rstd_of(s);
  } else {
    Sum2 s;
    TB_FOR_ROW_CHUNKS(j) {
      Chunk<T> c;
      c.load_from(xr, j, cols, packed);
      for (int e = 0; e < V; ++e) s.a += c.v[e] * c.v[e];  // padding reads as 0
    }
    rstd = mo::rmsnorm_rstd(block_reduce(s).a, static_cast<float>(cols));
  }
  if (threadIdx.x == 0) {
    mean_out[blockIdx.x] = mean;
    rstd_out[blockIdx.x] = rstd;
  }
  if (!write_y) return;
  T* yr = y + static_cast<int64_t>(blockIdx.x) * cols;
  TB_FOR_ROW_CHUNKS(j) {
    Chunk<T> c;
    c.load_from(xr, j, cols, packed);
    for (int e = 0; e < V; ++e) {
      const int64_t k = j + e < cols ? j + e : cols - 1;  // clamp: padding lanes are not stored
      c.v[e] = layer ? mo::layernorm_forward(c.v[e], mean, rstd, gamma[k], beta[k])
                     : mo::rmsnorm_forward(c.v[e], rstd, gamma[k]);
    }
    c.store_to(yr, j, cols, packed);
  }
}

template <typename T>
__global__ void norm_backward_kernel(const T* x, const T* dy, const float* gamma, const float* mean_in,
                                     const float* rstd_in, T* dx, int64_t cols, bool layer) {
  constexpr int V = Chunk<T>::V;
  const bool packed = cols % V == 0;
  const int64_t base = static_cast<int64_t>(blockIdx.x) * cols;
  const float mean = layer ? mean_in[blockIdx.x] : 0.0f, rstd = rstd_in[blockIdx.x];
  Sum2 s;  // Σg, Σg·x̂
  TB_FOR_ROW_CHUNKS(j) {
    Chunk<T> xc, dc;
    xc.load_from(x + base, j, cols, packed);
    dc.load_from(dy + base, j, cols, packed);
    for (int e = 0; e < V; ++e) {
      if (j + e >= cols) break;
      const float g = dc.v[e] * gamma[j + e];
      s.a += g;
      s.b += g * (xc.v[e] - mean) * rstd;
    }
  }
  s = block_reduce(s);
  const float n = static_cast<float>(cols);
  TB_FOR_ROW_CHUNKS(j) {
    Chunk<T> xc, dc;
    xc.load_from(x + base, j, cols, packed);
    dc.load_from(dy + base, j, cols, packed);
    for (int e = 0; e < V; ++e) {
      const int64_t k = j + e < cols ? j + e : cols - 1;
      xc.v[e] = layer ? mo::layernorm_backward(xc.v[e], dc.v[e], mean, rstd, gamma[k], s.a, s.b, n)
                      : mo::rmsnorm_backward(xc.v[e], dc.v[e], rstd, gamma[k], s.b, n);
    }
    xc.store_to(dx + base, j, cols, packed);
  }
}

template <typename T>
__global__ void cross_entropy_kernel(const T* logits, const int64_t* targets, T* dlogits, float* loss,
                                     int64_t cols, float dloss) {
  constexpr int V = Chunk<T>::V;
  const bool packed = cols % V == 0;
  const int64_t base = static_cast<int64_t>(blockIdx.x) * cols;
  mo::OnlineSoftmax s;
  TB_FOR_ROW_CHUNKS(j) {
    Chunk<T> c;
    c.load_from(logits + base, j, cols, packed);
    for (int e = 0; e < V; ++e)
      if (j + e < cols) mo::update(s, c.v[e]);
  }
  s = block_reduce(s);
  const int64_t target = targets[blockIdx.x];
  if (threadIdx.x == 0) loss[blockIdx.x] = mo::cross_entropy_loss(s, load(logits + base + target));
  TB_FOR_ROW_CHUNKS(j) {
    Chunk<T> c;
    c.load_from(logits + base, j, cols, packed);
    for (int e = 0; e < V; ++e) c.v[e] = mo::cross_entropy_grad(s, c.v[e], j + e == target, dloss);
    c.store_to(dlogits + base, j, cols, packed);
  }
}

#undef TB_FOR_ROW_CHUNKS

// One element of an elementwise op, fp32 in and out.
__device__ inline void elementwise_one(OpKind kind, float a, float b, float c, float& o0, float& o1) {
  switch (kind) {
    case OpKind::GeluForward: o0 = mo::gelu_forward(a); break;
    case OpKind::GeluBackward: o0 = mo::gelu_backward(a, b); break;
    case OpKind::SwiGluForward: o0 = mo::swiglu_forward(a, b); break;
    case OpKind::SwiGluBackward: {
      const auto g = mo::swiglu_backward(a, b, c);
      o0 = g.dgate;
      o1 = g.dup;
      break;
    }
    default: o0 = mo::residual_add(a, b); break;
  }
}

template <typename T>
__global__ void elementwise_kernel(OpKind kind, const T* in0, const T* in1, const T* in2, T* out0, T* out1,
                                   int64_t count) {
  using P = Pack<T>;
  const int inputs = kind == OpKind::GeluForward ? 1 : kind == OpKind::SwiGluBackward ? 3 : 2;
  const bool two_outputs = kind == OpKind::SwiGluBackward;
  const int64_t packs = count / P::kSize;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  for (int64_t i = first; i < packs; i += stride) {
    const P a = reinterpret_cast<const P*>(in0)[i];
    P b{}, c{}, r0, r1;
    if (inputs > 1) b = reinterpret_cast<const P*>(in1)[i];
    if (inputs > 2) c = reinterpret_cast<const P*>(in2)[i];
#pragma unroll
    for (int e = 0; e < P::kSize; ++e) {
      float o0 = 0, o1 = 0;
      elementwise_one(kind, load(&a.v[e]), inputs > 1 ? load(&b.v[e]) : 0.0f, inputs > 2 ? load(&c.v[e]) : 0.0f,
                      o0, o1);
      store(&r0.v[e], o0);
      store(&r1.v[e], o1);
    }
    reinterpret_cast<P*>(out0)[i] = r0;
    if (two_outputs) reinterpret_cast<P*>(out1)[i] = r1;
  }
  for (int64_t i = packs * P::kSize + first; i < count; i += stride) {
    float o0 = 0, o1 = 0;
    elementwise_one(kind, load(in0 + i), inputs > 1 ? load(in1 + i) : 0.0f, inputs > 2 ? load(in2 + i) : 0.0f, o0, o1);
    store(out0 + i, o0);
    if (two_outputs) store(out1 + i, o1);
  }
}

__global__ void targets_kernel(int64_t* targets, int64_t rows, int64_t cols, uint64_t seed) {
  const int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r < rows) targets[r] = mo::hash_target(seed, r, cols);
}

Storage storage_for(const Op& op) {
  switch (op.dtype) {
    case DType::FP32:
    case DType::TF32: return Storage::F32;
    case DType::BF16: return Storage::BF16;
    case DType::FP16: return Storage::F16;
    default:
      // FP8 training (Transformer Engine) keeps activations and these ops in bf16.
      throw UnsupportedError(std::string("op '") + op.name + "' (" + to_string(op.kind) +
                             "): memory-bound kernels store bf16, fp16, fp32 or tf32, not " + to_string(op.dtype) +
                             " (fp8 training runs them in bf16)");
  }
}

template <typename T>
class CudaMemoryKernel final : public Kernel {
 public:
  CudaMemoryKernel(const Op& op, const PrepareOptions& options, cudaStream_t stream, Storage storage)
      : op_(op), spec_(memcheck::spec_for(op.kind)), storage_(storage), stream_(stream),
        rows_(op.memory.rows), cols_(op.memory.cols) {
    const int64_t elems = rows_ * cols_;
    const size_t tensor_bytes = static_cast<size_t>(elems) * sizeof(T);
    const size_t row_bytes = static_cast<size_t>(rows_) * sizeof(float);
    const double need = static_cast<double>(tensor_bytes) * (spec_.inputs + spec_.outputs) + 16.0 * rows_ + 8.0 * cols_;
    check_fits(need, std::string("memory op '") + op.name + "' " + op.shape_string());
    for (int t = 0; t < spec_.inputs; ++t) {
      in_[t] = DeviceBuffer(tensor_bytes);
      fill(in_[t], memcheck::Tensor(t), elems, options.seed);
    }
    for (int t = 0; t < spec_.outputs; ++t) {
      out_[t] = DeviceBuffer(tensor_bytes);
      // 0xff bytes are NaN in fp32, bf16 and fp16: a never-launched kernel fails verification
      // (zeros would pass wherever the reference is near 0, e.g. cross-entropy gradients).
      TB_CUDA_CHECK(cudaMemsetAsync(out_[t].get(), 0xff, tensor_bytes, stream_));
    }
    if (spec_.gamma || spec_.stats_in) {
      gamma_ = DeviceBuffer(static_cast<size_t>(cols_) * sizeof(float));
      beta_ = DeviceBuffer(static_cast<size_t>(cols_) * sizeof(float));
      fill(gamma_, memcheck::Tensor::Gamma, cols_, options.seed, Storage::F32);
      if (spec_.beta) fill(beta_, memcheck::Tensor::Beta, cols_, options.seed, Storage::F32);
      else TB_CUDA_CHECK(cudaMemsetAsync(beta_.get(), 0, beta_.bytes(), stream_));
    }
    if (spec_.stats_in || spec_.stats_out) {
      mean_ = DeviceBuffer(row_bytes);
      rstd_ = DeviceBuffer(row_bytes);
      TB_CUDA_CHECK(cudaMemsetAsync(mean_.get(), 0xff, row_bytes, stream_));
      TB_CUDA_CHECK(cudaMemsetAsync(rstd_.get(), 0xff, row_bytes, stream_));
    }
    if (spec_.stats_in) launch_norm_forward(/*write_y=*/false);  // the statistics the forward saved
    if (spec_.cross_entropy) {
      targets_ = DeviceBuffer(static_cast<size_t>(rows_) * sizeof(int64_t));
      loss_ = DeviceBuffer(row_bytes);
      TB_CUDA_CHECK(cudaMemsetAsync(loss_.get(), 0xff, row_bytes, stream_));
      targets_kernel<<<static_cast<unsigned>((rows_ + 255) / 256), 256, 0, stream_>>>(targets_.as<int64_t>(), rows_,
                                                                                    cols_, options.seed);
      TB_CUDA_CHECK(cudaGetLastError());
    }
    wait_for_stream(stream_, "preparing a memory-bound kernel (input fills)");
  }

  void launch() override {
    const bool layer = op_.kind == OpKind::LayerNormForward || op_.kind == OpKind::LayerNormBackward;
    const auto rows = static_cast<unsigned>(rows_);
    switch (op_.kind) {
      case OpKind::LayerNormForward:
      case OpKind::RmsNormForward: launch_norm_forward(true); break;
      case OpKind::LayerNormBackward:
      case OpKind::RmsNormBackward:
        norm_backward_kernel<T><<<rows, kRowThreads, 0, stream_>>>(
            in_[0].as<T>(), in_[1].as<T>(), gamma_.as<float>(), mean_.as<float>(), rstd_.as<float>(),
            out_[0].as<T>(), cols_, layer);
        break;
      case OpKind::CrossEntropyForwardBackward:
        cross_entropy_kernel<T><<<rows, kRowThreads, 0, stream_>>>(in_[0].as<T>(), targets_.as<int64_t>(),
                                                                    out_[0].as<T>(), loss_.as<float>(), cols_,
                                                                    memcheck::kCrossEntropyDloss);
        break;
      default: {
        const int64_t count = rows_ * cols_;
        const int64_t wanted = (count / (16 / static_cast<int64_t>(sizeof(T))) + 256) / 256;
        const unsigned blocks = static_cast<unsigned>(wanted < (1 << 20) ? wanted : (1 << 20));
        elementwise_kernel<T><<<blocks, 256, 0, stream_>>>(op_.kind, in_[0].as<T>(), in_[1].as<T>(), in_[2].as<T>(),
                                                          out_[0].as<T>(), out_[1].as<T>(), count);
      }
    }
    TB_CUDA_CHECK(cudaGetLastError());
  }

  VerifyResult verify() override {
    wait_for_stream(stream_, "memory-bound kernel before verifying");
    memcheck::MemoryOpData d;
    d.rows = rows_;
    d.cols = cols_;
    d.held_rows = memcheck::checked_rows(rows_);
    const auto& rows = d.held_rows;
    for (int t = 0; t < spec_.inputs; ++t) d.in[t] = copy_rows_to_host_floats(in_[t].get(), storage_, cols_, rows);
    for (int t = 0; t < spec_.outputs; ++t) d.out[t] = copy_rows_to_host_floats(out_[t].get(), storage_, cols_, rows);
    if (gamma_.bytes()) {
      d.gamma = copy_to_host_floats(gamma_.get(), Storage::F32, cols_);
      d.beta = copy_to_host_floats(beta_.get(), Storage::F32, cols_);
    }
    if (spec_.stats_out) {  // one value per row: the rows' values, as one-element rows
      d.mean_out = copy_rows_to_host_floats(mean_.get(), Storage::F32, 1, rows);
      d.rstd_out = copy_rows_to_host_floats(rstd_.get(), Storage::F32, 1, rows);
    }
    if (spec_.cross_entropy) {
      d.loss = copy_rows_to_host_floats(loss_.get(), Storage::F32, 1, rows);
      for (const int64_t row : rows) {
        int64_t target = 0;
        TB_CUDA_CHECK(cudaMemcpy(&target, static_cast<const int64_t*>(targets_.get()) + row, sizeof target,
                                 cudaMemcpyDeviceToHost));
        d.targets.push_back(target);
      }
    }
    const DType storage_dtype = storage_ == Storage::BF16 ? DType::BF16 : storage_ == Storage::F16 ? DType::FP16 : DType::FP32;
    return memcheck::verify(op_.kind, storage_dtype, d);
  }

  double bytes_allocated() const override {
    double b = 0;
    for (const auto* buf : {&in_[0], &in_[1], &in_[2], &out_[0], &out_[1], &gamma_, &beta_, &mean_, &rstd_, &targets_, &loss_})
      b += static_cast<double>(buf->bytes());
    return b;
  }

  std::string algorithm() const override {
    return std::string("trainbench CUDA kernel, ") + to_string(storage_) + " storage, fp32 math";
  }

  void corrupt_output_for_testing() override {
    wait_for_stream(stream_, "memory-bound kernel before planting a wrong value");
    const int64_t index = cols_ / 2;  // row 0 is always checked
    write_element(out_[0].get(), storage_, index, read_element(out_[0].get(), storage_, index) + 1000.0f);
  }

 private:
  void fill(DeviceBuffer& buf, memcheck::Tensor t, int64_t count, uint64_t seed) { fill(buf, t, count, seed, storage_); }
  void fill(DeviceBuffer& buf, memcheck::Tensor t, int64_t count, uint64_t seed, Storage s) {
    const auto rule = memcheck::fill_rule(op_.kind, t, seed);
    fill_uniform(buf.get(), s, count, rule.seed, rule.offset, rule.scale, stream_);
  }

  void launch_norm_forward(bool write_y) {
    const bool layer = op_.kind == OpKind::LayerNormForward || op_.kind == OpKind::LayerNormBackward;
    norm_forward_kernel<T><<<static_cast<unsigned>(rows_), kRowThreads, 0, stream_>>>(
        in_[0].as<T>(), gamma_.as<float>(), beta_.as<float>(), out_[0].as<T>(), mean_.as<float>(), rstd_.as<float>(),
        cols_, layer, write_y);
    TB_CUDA_CHECK(cudaGetLastError());
  }

  Op op_;
  memcheck::MemoryOpSpec spec_;
  Storage storage_;
  cudaStream_t stream_;
  int64_t rows_, cols_;
  DeviceBuffer in_[3], out_[2], gamma_, beta_, mean_, rstd_, targets_, loss_;
};

}  // namespace

std::unique_ptr<Kernel> make_memory_kernel(const Op& op, const PrepareOptions& options, cudaStream_t stream) {
  memcheck::validate(op);
  if (op.memory.rows > 2147483647LL)
    throw UnsupportedError(std::string("op '") + op.name + "': more than 2^31 rows (one block per row)");
  switch (storage_for(op)) {
    case Storage::BF16: return std::make_unique<CudaMemoryKernel<__nv_bfloat16>>(op, options, stream, Storage::BF16);
    case Storage::F16: return std::make_unique<CudaMemoryKernel<__half>>(op, options, stream, Storage::F16);
    default: return std::make_unique<CudaMemoryKernel<float>>(op, options, stream, Storage::F32);
  }
}

}  // namespace tb::kernels::cuda
