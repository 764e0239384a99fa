#pragma once
// Device helpers of the fused attention kernels: the two tensor-core instructions (PTX inline
// assembly, sm_80+), bf16/fp16 packing, quad reductions and asynchronous tile loads into padded shared memory.
// Fragment indices and addresses never appear here: they come from kernels/common/warp_model.hpp
// and attention_*layout.hpp, the functions the CPU warp and block models run.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "kernels/backend.hpp"
#include "kernels/common/attention_fwd_layout.hpp"
#include "kernels/common/attention_fwd_warp.hpp"
#include "kernels/common/attention_layout.hpp"
#include "kernels/common/attention_math.hpp"
#include "kernels/common/warp_model.hpp"
#include "kernels/cuda/attention_launch.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace tb::kernels::cuda::attention {

namespace attn = tb::kernels::attn;
namespace warp = tb::kernels::warp;

using attn::kSmemStride;

// The tensors' global layout (attention_layout.hpp) for head dim d.
__device__ inline attn::GlobalLayout global_layout(const AttentionParams& p, int d) {
  return {p.seq, p.heads, p.kv_heads, d};
}

__device__ inline uint32_t smem_addr(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

// ldmatrix.sync.aligned.m8n8.x4(.trans).shared.b16 (PTX ISA, "ldmatrix").
__device__ inline void ldmatrix_x4(uint32_t (&r)[4], const void* row_ptr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(row_ptr))
               : "memory");  // reads shared memory that plain C++ stores wrote: not reordered past them
}
__device__ inline void ldmatrix_x4_trans(uint32_t (&r)[4], const void* row_ptr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(row_ptr))
               : "memory");  // reads shared memory that plain C++ stores wrote: not reordered past them
}

// mma.sync.aligned.m16n8k16.row.col.f32.{bf16,f16}: c += a·b, fp32 accumulation.
template <typename T>
__device__ inline void mma_16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1);
template <>
__device__ inline void mma_16816<__nv_bfloat16>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
               "{%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ inline void mma_16816<__half>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
               "{%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Two floats into one .b32 register of two 16-bit values, the lower-indexed element in the low half.
template <typename T>
__device__ inline uint32_t pack2(float lo, float hi);
template <>
__device__ inline uint32_t pack2<__nv_bfloat16>(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}
template <>
__device__ inline uint32_t pack2<__half>(float lo, float hi) {
  __half2 v = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}

template <typename T>
__device__ inline T from_float(float x);
template <>
__device__ inline __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }
template <>
__device__ inline __half from_float<__half>(float x) { return __float2half_rn(x); }

struct ToFloat {
  __device__ float operator()(__nv_bfloat16 x) const { return __bfloat162float(x); }
  __device__ float operator()(__half x) const { return __half2float(x); }
};

// The four lanes of a quad hold one accumulator row between them (warp_model.hpp).
__device__ inline float quad_max(float x) {
  x = tb::kernels::attn::max_nan(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return tb::kernels::attn::max_nan(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ inline float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

// cp.async (PTX ISA, "cp.async", sm_80+): 16 bytes global -> shared without passing through
// registers, so a tile's loads fly while the warps compute on the previous one. src_bytes = 0
// writes 16 zero bytes and reads nothing.
__device__ inline void cp_async_16(void* smem_dst, const void* gmem_src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(smem_dst)), "l"(gmem_src),
               "r"(src_bytes)
               : "memory");
}
__device__ inline void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
// Waits for every group this thread committed; a __syncthreads() after it publishes the tile.
__device__ inline void cp_async_wait_all() { asm volatile("cp.async.wait_group 0;\n" ::: "memory"); }

// Starts copying rows [row0, row0 + ROWS) of one head of a [.., seq, .., D] tensor (`base` its
// first element, row stride `stride` elements) into padded shared memory; rows past `seq` become
// zeros (attn::tile_chunk). The caller commits, waits and synchronises.
template <typename T, int D, int ROWS, int THREADS>
__device__ inline void cp_async_tile(T* smem, const T* base, int64_t stride, int64_t row0, int64_t seq) {
  for (int c = threadIdx.x; c < ROWS * (D / attn::kChunkElems); c += THREADS) {
    const attn::TileChunk t = attn::tile_chunk(c, D, kSmemStride<D>, row0, stride, seq);
    cp_async_16(smem + t.smem, t.valid ? base + t.global : base, t.valid ? 16 : 0);
  }
}

// ---- steps both forward kernels (mma.sync and wgmma) share; one warp owns 16 query rows ----

// What a forward block owns (grid: query tile × head × batch; 4 warps of 16 query rows) and
// where its Q, K, V rows start.
template <typename T, int D>
struct ForwardBlock {
  int64_t qt, h, b, q0, row0, q_stride, kv_stride;
  int warp_index, lane;
  const T *Q, *K, *V;
  __device__ ForwardBlock(const AttentionParams& p, int block_q)
      : qt(blockIdx.x), h(blockIdx.y), b(blockIdx.z), q0(qt * block_q),
        row0(q0 + attn::fwd::warp_query_offset(static_cast<int>(threadIdx.x / 32))),
        q_stride(global_layout(p, D).q_stride()), kv_stride(global_layout(p, D).kv_stride()),
        warp_index(static_cast<int>(threadIdx.x / 32)), lane(static_cast<int>(threadIdx.x % 32)) {
    const attn::GlobalLayout layout = global_layout(p, D);
    const int64_t g = layout.kv_head(h);
    Q = static_cast<const T*>(p.q) + layout.q_base(b, h);
    K = static_cast<const T*>(p.k) + layout.kv_base(b, g);
    V = static_cast<const T*>(p.v) + layout.kv_base(b, g);
  }
};

// The warp's 16 Q rows of a padded shared tile, as mma A fragments for each 16-column chunk.
template <typename T, int D>
__device__ inline void load_q_fragments(uint32_t (&qf)[D / 16][4], const T* sQ, int warp_index, int lane) {
#pragma unroll
  for (int kc = 0; kc < D / 16; ++kc) ldmatrix_x4(qf[kc], &sQ[attn::fwd::q_ldsm_offset<D>(warp_index, kc, lane)]);
}

// One key tile of the online softmax on the S accumulators (raw Q·Kᵀ in, P out), rescaling the
// running state and the O accumulator: attention_fwd_warp.hpp's step for this thread's lane.
template <int NB, int DB>
__device__ inline void online_softmax_step(float (&s)[NB][4], float (&o)[DB][4], attn::SoftmaxState (&state)[2],
                                           int lane, int64_t row0, int64_t k0, int64_t seq, bool causal,
                                           float scale_log2) {
  attn::fwd::online_softmax_step<NB, DB, 1>(
      [&](int) { return attn::fwd::SoftmaxLane<NB, DB>{s, o, state, lane}; },
      [](float (&m)[1][2]) {
        m[0][0] = quad_max(m[0][0]);
        m[0][1] = quad_max(m[0][1]);
      },
      row0, k0, seq, causal, scale_log2);
}

// P (the softmax's S accumulators) as the A fragment of 16-key chunk kk of O += P·V.
template <typename T, int NB>
__device__ inline void p_fragment(uint32_t (&pa)[4], const float (&s)[NB][4], int kk) {
#pragma unroll
  for (int r = 0; r < 4; ++r)
    pa[r] = pack2<T>(s[warp::accum_to_a_block(kk, 2 * r)][warp::accum_to_a_elem(2 * r)],
                     s[warp::accum_to_a_block(kk, 2 * r + 1)][warp::accum_to_a_elem(2 * r + 1)]);
}

// Completes the lane-partial sums across the quad, normalises O, stores it and the LSE
// (attention_fwd_warp.hpp's epilogue for this thread's lane).
template <typename T, int D>
__device__ inline void store_output_and_lse(const AttentionParams& p, float (&o)[D / 8][4],
                                            attn::SoftmaxState (&state)[2], int64_t b, int64_t h, int64_t row0,
                                            int lane) {
  T* O = static_cast<T*>(p.o);
  attn::fwd::store_output_and_lse<D / 8, 1>(
      [&](int) { return attn::fwd::OutputLane<D / 8>{o, state, lane}; },
      [](float (&sum)[1]) { sum[0] = quad_sum(sum[0]); }, global_layout(p, D), b, h, row0,
      [&](int64_t at, float lo, float hi) { *reinterpret_cast<uint32_t*>(&O[at]) = pack2<T>(lo, hi); },
      [&](int64_t at, float lse) { p.lse[at] = lse; });
}

// Raising a kernel's dynamic shared-memory limit is set-up, not work: the CUDA call happens once
// per kernel and device; later launches pay a lookup, host time that the timing core's blocking
// kernel keeps out of the samples.
inline void allow_dynamic_smem(const void* kernel, int bytes) {
  static std::mutex mutex;
  static std::set<std::pair<const void*, int>> done;
  int device = 0;
  TB_CUDA_CHECK(cudaGetDevice(&device));
  const std::lock_guard lock(mutex);
  if (done.count({kernel, device})) return;
  TB_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
  done.insert({kernel, device});
}

// The grid of both forward kernels: one block per (query tile of `block_q` rows, head, batch).
// Grid y (heads) and z (batch) are capped at 65535 by the hardware: refused by name, not left to
// fail as an invalid launch configuration.
inline void check_grid_yz(int64_t heads, int64_t batch, const char* what) {
  constexpr int64_t kMaxGridYZ = 65535;
  if (heads > kMaxGridYZ || batch > kMaxGridYZ)
    throw tb::kernels::UnsupportedError(std::string(what) + ": " + std::to_string(heads) + " heads x batch " +
                                        std::to_string(batch) + " exceeds the grid's 65535 per dimension");
}

template <typename Kernel>
void launch_forward_grid(Kernel kernel, const AttentionParams& p, int block_q, int threads, int smem_bytes,
                         cudaStream_t stream) {
  check_grid_yz(p.heads, p.batch, "attention forward");
  allow_dynamic_smem(reinterpret_cast<const void*>(kernel), smem_bytes);
  const dim3 grid(static_cast<unsigned>(attn::num_tiles(p.seq, block_q)), static_cast<unsigned>(p.heads),
                  static_cast<unsigned>(p.batch));
  kernel<<<grid, threads, smem_bytes, stream>>>(p);
  TB_CUDA_CHECK(cudaGetLastError());
}

// Every fused pass is instantiated for element type × head dim {64, 128} × causal: 8 kernels.
// `launch` is a lambda templated as <typename T, int D, bool CAUSAL>; other head dims are
// refused with an UnsupportedError naming `what`.
template <typename Launch>
void for_variant(const AttentionParams& p, ElementType type, const char* what, const Launch& launch) {
  if (!fused_head_dim_supported(p.head_dim))
    throw tb::kernels::UnsupportedError(std::string(what) + ": head_dim " + std::to_string(p.head_dim) +
                           " not supported; supported: 64, 128");
  auto with_type = [&]<typename T>() {
    if (p.head_dim == 64) {
      if (p.causal) launch.template operator()<T, 64, true>();
      else launch.template operator()<T, 64, false>();
    } else {
      if (p.causal) launch.template operator()<T, 128, true>();
      else launch.template operator()<T, 128, false>();
    }
  };
  if (type == ElementType::BF16) with_type.template operator()<__nv_bfloat16>();
  else with_type.template operator()<__half>();
}

}  // namespace tb::kernels::cuda::attention
