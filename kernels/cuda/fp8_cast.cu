// fp8 cast-transpose, what Transformer Engine runs around each fp8 GEMM: x (bf16, rows x cols)
// scaled and rounded to fp8, e4m3 for X and W, e5m2 for dY (saturating, round to nearest even;
// the format is a run-time argument of the conversion, so one kernel serves both), written as is (y) and
// transposed (yt, the weight gradient's operand: Hopper's fp8 GEMMs take K-major operands only),
// with max |x| folded into amax for the next step's scale. Memory-bound: 2 bytes read and 2
// written per element, measured in GB/s against the SKU's bandwidth.
//
// Tiling (kernels/common/fp8_cast_tile.hpp, checked thread by thread on the host): one 256-thread
// block per 64 x 64 tile; a warp reads 64 consecutive bf16 of a row and writes 64 consecutive fp8
// of y; the tile goes through shared memory so that a warp writes 64 consecutive bytes of a yt row.
// amax: a warp's maximum by shuffles, the block's through shared memory, then one atomicMax per
// block on the float's bits (non-negative floats order as their bit patterns do). Where rows and
// cols are even (always, in a training step) a lane moves bf16 pairs and 2-byte fp8 pairs.
#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include <cstdint>
#include <string>
#include <vector>

#include "harness/common/errors.hpp"
#include "kernels/common/fp8_cast_tile.hpp"
#include "kernels/cpu/fp8_cast_check.hpp"
#include "kernels/cpu/memory_op_check.hpp"
#include "kernels/cuda/bounded_wait.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/device_buffer.hpp"
#include "kernels/cuda/fp8_cast_kernel.hpp"
#include "kernels/cuda/storage.hpp"

namespace tb::kernels::cuda {
namespace {

using namespace fp8cast;

__global__ void __launch_bounds__(kThreads)
    cast_transpose_kernel(const __nv_bfloat16* __restrict__ x, uint8_t* __restrict__ y, uint8_t* __restrict__ yt,
                          unsigned int* __restrict__ amax_bits, int64_t rows, int64_t cols, float scale,
                          __nv_fp8_interpretation_t format) {
  __shared__ __align__(16) uint8_t tile[kTile * kSmemStride];
  __shared__ float warp_max[kAmaxSlots];
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * kTile, col0 = static_cast<int64_t>(blockIdx.y) * kTile;
  // Even rows and cols: every pair below is 2-element aligned (bf16x2 loads, 2-byte fp8 stores).
  const bool packed = rows % 2 == 0 && cols % 2 == 0;
  float local_max = 0.0f;
#pragma unroll 2
  for (int it = 0; it < kIterations; ++it) {
    const TileCoord t = load_coord(warp, lane, it);
    const int64_t r = row0 + t.row, c = col0 + t.col;
    uint8_t q[2] = {0, 0};
    if (packed && r < rows && c < cols) {  // c even, cols even: c + 1 < cols too
      const float2 v = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(x + y_index(r, c, cols)));
      local_max = fmaxf(local_max, fmaxf(fabsf(v.x), fabsf(v.y)));
      q[0] = __nv_cvt_float_to_fp8(v.x * scale, __NV_SATFINITE, format);
      q[1] = __nv_cvt_float_to_fp8(v.y * scale, __NV_SATFINITE, format);
      *reinterpret_cast<uint16_t*>(y + y_index(r, c, cols)) = static_cast<uint16_t>(q[0] | (q[1] << 8));
    } else if (!packed) {
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        if (r >= rows || c + e >= cols) continue;
        const float v = __bfloat162float(x[y_index(r, c + e, cols)]);
        local_max = fmaxf(local_max, fabsf(v));
        q[e] = __nv_cvt_float_to_fp8(v * scale, __NV_SATFINITE, format);
        y[y_index(r, c + e, cols)] = q[e];
      }
    }
    *reinterpret_cast<uint16_t*>(tile + t.row * kSmemStride + t.col) = static_cast<uint16_t>(q[0] | (q[1] << 8));
  }
  for (int offset = 16; offset > 0; offset /= 2) local_max = fmaxf(local_max, __shfl_xor_sync(0xffffffffu, local_max, offset));
  if (lane == 0) warp_max[warp] = local_max;
  __syncthreads();
  for (int it = 0; it < kIterations; ++it) {
    const TileCoord t = store_coord(warp, lane, it);
    const int64_t r = row0 + t.row, c = col0 + t.col;  // c: the output row of yt
    const uint8_t a = tile[t.row * kSmemStride + t.col], b = tile[(t.row + 1) * kSmemStride + t.col];
    if (packed && r < rows && c < cols) {  // r even, rows even: r + 1 < rows too
      *reinterpret_cast<uint16_t*>(yt + yt_index(r, c, rows)) = static_cast<uint16_t>(a | (b << 8));
    } else if (!packed && c < cols) {
      if (r < rows) yt[yt_index(r, c, rows)] = a;
      if (r + 1 < rows) yt[yt_index(r + 1, c, rows)] = b;
    }
  }
  if (threadIdx.x == 0) {
    float block_max = warp_max[0];
    for (int w = 1; w < kAmaxSlots; ++w) block_max = fmaxf(block_max, warp_max[w]);
    atomicMax(amax_bits, __float_as_uint(block_max));  // non-negative floats order as their bits
  }
}

class CudaFp8CastKernel final : public Kernel {
 public:
  CudaFp8CastKernel(const Op& op, const PrepareOptions& options, cudaStream_t stream)
      : stream_(stream), rows_(op.memory.rows), cols_(op.memory.cols), format_(op.cast_format),
        scale_(scale_for(format_)) {
    const int64_t elems = rows_ * cols_;
    check_fits(4.0 * static_cast<double>(elems), std::string("fp8 cast '") + op.name + "' " + op.shape_string());
    x_ = DeviceBuffer(static_cast<size_t>(elems) * 2);
    y_ = DeviceBuffer(static_cast<size_t>(elems));
    yt_ = DeviceBuffer(static_cast<size_t>(elems));
    amax_ = DeviceBuffer(sizeof(unsigned int));
    const auto rule = memcheck::fill_rule(op.kind, memcheck::Tensor::In0, options.seed);
    fill_uniform(x_.get(), Storage::BF16, elems, rule.seed, rule.offset, rule.scale, stream_);
    // 0xff is fp8 NaN: a byte the kernel never wrote fails the check.
    TB_CUDA_CHECK(cudaMemsetAsync(y_.get(), 0xff, y_.bytes(), stream_));
    TB_CUDA_CHECK(cudaMemsetAsync(yt_.get(), 0xff, yt_.bytes(), stream_));
    TB_CUDA_CHECK(cudaMemsetAsync(amax_.get(), 0, amax_.bytes(), stream_));
  }

  void launch() override {
    const dim3 grid(static_cast<unsigned>((rows_ + kTile - 1) / kTile), static_cast<unsigned>((cols_ + kTile - 1) / kTile));
    cast_transpose_kernel<<<grid, kThreads, 0, stream_>>>(x_.as<__nv_bfloat16>(), y_.as<uint8_t>(), yt_.as<uint8_t>(),
                                                         amax_.as<unsigned int>(), rows_, cols_, scale_,
                                                         format_ == Fp8Format::E5M2 ? __NV_E5M2 : __NV_E4M3);
    TB_CUDA_CHECK(cudaGetLastError());
  }

  VerifyResult verify() override {
    wait_for_stream(stream_, "fp8 cast before verifying");
    const int64_t elems = rows_ * cols_;
    const std::vector<float> x = copy_to_host_floats(x_.get(), Storage::BF16, elems);
    std::vector<uint8_t> y(static_cast<size_t>(elems)), yt(static_cast<size_t>(elems));
    TB_CUDA_CHECK(cudaMemcpy(y.data(), y_.get(), y_.bytes(), cudaMemcpyDeviceToHost));
    TB_CUDA_CHECK(cudaMemcpy(yt.data(), yt_.get(), yt_.bytes(), cudaMemcpyDeviceToHost));
    float amax = 0;
    TB_CUDA_CHECK(cudaMemcpy(&amax, amax_.get(), sizeof amax, cudaMemcpyDeviceToHost));
    return fp8cast::verify(rows_, cols_, format_, x, y, yt, amax);
  }

  double bytes_allocated() const override {
    return static_cast<double>(x_.bytes() + y_.bytes() + yt_.bytes() + amax_.bytes());
  }
  std::string algorithm() const override {
    return std::string("trainbench CUDA kernel: 64x64 tiles through shared memory, ") + to_string(format_) +
           (format_ == Fp8Format::E5M2 ? " SATFINITE (scale 57344)" : " SATFINITE (scale 448)") + ", amax by atomicMax";
  }
  void corrupt_output_for_testing() override {
    wait_for_stream(stream_, "fp8 cast before planting a wrong value");
    uint8_t b = 0;
    const size_t index = static_cast<size_t>(cols_ / 2);  // row 0 is always checked
    TB_CUDA_CHECK(cudaMemcpy(&b, y_.as<uint8_t>() + index, 1, cudaMemcpyDeviceToHost));
    b ^= 0x01;
    TB_CUDA_CHECK(cudaMemcpy(y_.as<uint8_t>() + index, &b, 1, cudaMemcpyHostToDevice));
  }

 private:
  cudaStream_t stream_;
  int64_t rows_, cols_;
  Fp8Format format_;
  float scale_;
  DeviceBuffer x_, y_, yt_, amax_;
};

}  // namespace

std::unique_ptr<Kernel> make_fp8_cast_kernel(const Op& op, const PrepareOptions& options, cudaStream_t stream) {
  fp8cast::validate(op);
  return std::make_unique<CudaFp8CastKernel>(op, options, stream);
}

}  // namespace tb::kernels::cuda
