// Fused attention backward, FlashAttention-2 style (Dao 2023, Algorithm 2), on mma.sync.
//
// 1. preprocess: D_i = rowsum(dO_i ∘ O_i), one thread per row (attn::rowsum_product).
// 2. main: one block of 4 warps per (64-key tile, K/V head, batch); each warp owns 16 keys and
//    keeps their dK, dV in fp32 registers while the query tiles of EVERY query head of the
//    group stream past (so grouped-query dK/dV need no atomics and no extra reduction pass).
//    The group's (head, query tile) pairs are one flattened sequence whose next tile (Q, dO,
//    LSE, D) loads by cp.async into a second buffer while the current one is computed.
//    Per query tile it recomputes Sᵀ = K·Qᵀ, Pᵀ = exp(Sᵀ·scale − LSE) from the saved LSE,
//    dPᵀ = V·dOᵀ, dSᵀ = Pᵀ ∘ (dPᵀ − D), then dV += Pᵀ·dO and dK += dSᵀ·Q with Pᵀ/dSᵀ reused
//    as A operands straight from the accumulators.
//    dQ: the choice FlashAttention-2 makes — dS goes through shared memory (transposed) and
//    dQ += dS·K is added into an fp32 buffer with atomicAdd. The alternative, a second kernel
//    per query tile, recomputes S and dP (7 GEMMs instead of 5); atomics keep the FLOP count
//    at the 2.5× forward that the papers (and our TFLOP/s) count, at the price of a
//    non-deterministic summation order in dQ.
// 3. convert: dQ = dq_accum in the storage type.
// Query tiles are 64 rows for d = 64 and 32 for d = 128, to bound the registers per thread
// (dK and dV accumulators alone are 2·d/2 floats per lane at d = 128).
#include <string>

#include "kernels/common/attention_bwd_layout.hpp"
#include "kernels/cuda/attention_device.cuh"
#include "kernels/cuda/attention_launch.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace tb::kernels::cuda::attention {
namespace {

namespace attn = tb::kernels::attn;
namespace warp = tb::kernels::warp;
namespace bwd = tb::kernels::attn::bwd;

// Tile sizes and the block's shared-memory addressing: kernels/common/attention_bwd_layout.hpp;
// global addresses: attention_layout.hpp.
using bwd::kBlockK;
using bwd::kBlockQ;
using bwd::kDsStride;
using bwd::kThreads;
using bwd::kWarps;

// K and V of the block's keys; Q, dO, LSE and D of a query tile twice (the next tile loads while
// this one is computed); dS of one tile.
template <int D>
constexpr size_t bwd_smem_bytes() {
  return (static_cast<size_t>(2 * kBlockK + 2 * 2 * kBlockQ<D>) * kSmemStride<D> +
          static_cast<size_t>(kBlockQ<D>) * kDsStride) * 2 +
         2 * 2 * kBlockQ<D> * sizeof(float);
}

template <typename T>
__global__ void attention_bwd_preprocess(const AttentionParams p) {
  const int64_t n = p.batch * p.seq * p.heads;
  for (int64_t r = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; r < n;
       r += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const attn::GlobalLayout layout = global_layout(p, p.head_dim);
    const attn::QRowIndex at = attn::q_row_index(layout, r);
    const T* dout = static_cast<const T*>(p.dout) + layout.q_row(at.b, at.i, at.h);
    const T* o = static_cast<const T*>(p.o) + layout.q_row(at.b, at.i, at.h);
    p.d_term[layout.lse_index(at.b, at.h, at.i)] = attn::rowsum_product(dout, o, p.head_dim, ToFloat{});
  }
}

template <typename T>
__global__ void attention_bwd_convert_dq(const AttentionParams p) {
  const int64_t n = p.batch * p.seq * p.heads * p.head_dim;
  T* dq = static_cast<T*>(p.dq);
  for (int64_t x = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; x < n;
       x += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    dq[x] = from_float<T>(p.dq_accum[x]);
  }
}

template <typename T, int D, bool CAUSAL>
__global__ void __launch_bounds__(kThreads) attention_bwd_kernel(const AttentionParams p) {
  constexpr int BQ = kBlockQ<D>, LDS = kSmemStride<D>, NQ = BQ / 8, DB = D / 8, KC = D / 16;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* sK = reinterpret_cast<T*>(smem_raw);
  T* sV = sK + kBlockK * LDS;
  T* sQ_buf = sV + kBlockK * LDS;     // [2][BQ][LDS]
  T* sdO_buf = sQ_buf + 2 * BQ * LDS;  // [2][BQ][LDS]
  T* sdS = sdO_buf + 2 * BQ * LDS;     // [query][key]
  float* s_lse_buf = reinterpret_cast<float*>(sdS + BQ * kDsStride);  // [2][BQ], log2 units
  float* s_d_buf = s_lse_buf + 2 * BQ;                                 // [2][BQ]

  const int64_t kt = blockIdx.x, g = blockIdx.y, b = blockIdx.z;
  const int w = threadIdx.x / 32, lane = threadIdx.x % 32;
  // Rebuilt from the parameters at each use, not held in registers across the loop: ptxas then
  // allocates registers as it did for the expressions written out (nvcc 13: within 2 per thread).
  auto layout = [&p] { return global_layout(p, D); };
  const int64_t q_stride = layout().q_stride(), kv_stride = layout().kv_stride();
  const int64_t k0 = kt * kBlockK, key_row0 = k0 + bwd::warp_key_offset(w);
  const int64_t group = p.heads / p.kv_heads;
  const float scale = p.softmax_scale;

  // The (query head, query tile) pairs this key block meets, flattened so that the next pair's
  // loads can be issued one step ahead, across head boundaries too.
  const int64_t qt_begin = attn::query_tile_begin(kt, kBlockK, BQ, CAUSAL);
  const int64_t q_tiles = attn::num_tiles(p.seq, BQ);
  const int64_t steps = group * (q_tiles - qt_begin);
  auto start_loading = [&](int64_t step, int buf) {
    const attn::BackwardStep at = attn::backward_step(step, g * group, qt_begin, q_tiles);
    const int64_t h = at.head, q0 = at.query_tile * BQ;
    cp_async_tile<T, D, BQ, kThreads>(sQ_buf + buf * BQ * LDS, static_cast<const T*>(p.q) + layout().q_base(b, h),
                                      q_stride, q0, p.seq);
    cp_async_tile<T, D, BQ, kThreads>(sdO_buf + buf * BQ * LDS, static_cast<const T*>(p.dout) + layout().q_base(b, h),
                                      q_stride, q0, p.seq);
    cp_async_commit();
    for (int r = threadIdx.x; r < BQ; r += kThreads) {
      const bool valid = q0 + r < p.seq;
      s_lse_buf[buf * BQ + r] = valid ? attn::lse_to_log2(p.lse[layout().lse_index(b, h, q0 + r)]) : INFINITY;
      s_d_buf[buf * BQ + r] = valid ? p.d_term[layout().lse_index(b, h, q0 + r)] : 0.f;
    }
  };

  cp_async_tile<T, D, kBlockK, kThreads>(sK, static_cast<const T*>(p.k) + layout().kv_base(b, g), kv_stride, k0,
                                         p.seq);
  cp_async_tile<T, D, kBlockK, kThreads>(sV, static_cast<const T*>(p.v) + layout().kv_base(b, g), kv_stride, k0,
                                         p.seq);
  cp_async_commit();
  if (steps > 0) start_loading(0, 0);

  float dk[DB][4] = {}, dv[DB][4] = {};
  for (int64_t step = 0; step < steps; ++step) {
    const int buf = static_cast<int>(step & 1);
    const attn::BackwardStep at = attn::backward_step(step, g * group, qt_begin, q_tiles);
    const int64_t h = at.head, q0 = at.query_tile * BQ;
    cp_async_wait_all();
    // This step's tile has landed, and every warp is done with the previous step (its buffer,
    // sdS, the dQ products): the next tile may load into the other buffer while this one runs.
    __syncthreads();
    if (step + 1 < steps) start_loading(step + 1, buf ^ 1);
    const T* sQ = sQ_buf + buf * BQ * LDS;
    const T* sdO = sdO_buf + buf * BQ * LDS;
    const float* s_lse = s_lse_buf + buf * BQ;
    const float* s_d = s_d_buf + buf * BQ;

    // Sᵀ = K_w·Qᵀ and dPᵀ = V_w·dOᵀ: 16 keys x BQ queries per warp.
    float st[NQ][4] = {}, dpt[NQ][4] = {};
#pragma unroll
    for (int kc = 0; kc < KC; ++kc) {
      uint32_t ka[4], va[4];
      ldmatrix_x4(ka, &sK[attn::ldsm_a_offset(bwd::warp_key_offset(w), 16 * kc, LDS, lane)]);
      ldmatrix_x4(va, &sV[attn::ldsm_a_offset(bwd::warp_key_offset(w), 16 * kc, LDS, lane)]);
#pragma unroll
      for (int np = 0; np < NQ / 2; ++np) {
        uint32_t qb[4], ob[4];
        ldmatrix_x4(qb, &sQ[attn::ldsm_b_nk_offset(16 * np, 16 * kc, LDS, lane)]);
        ldmatrix_x4(ob, &sdO[attn::ldsm_b_nk_offset(16 * np, 16 * kc, LDS, lane)]);
        mma_16816<T>(st[2 * np], ka, qb[0], qb[1]);
        mma_16816<T>(st[2 * np + 1], ka, qb[2], qb[3]);
        mma_16816<T>(dpt[2 * np], va, ob[0], ob[1]);
        mma_16816<T>(dpt[2 * np + 1], va, ob[2], ob[3]);
      }
    }
    // Pᵀ and dSᵀ (scale folded in), elementwise; dS also goes to shared memory as [query][key].
    attn::lane_backward_probs<NQ>(st, dpt, lane, key_row0, q0, p.seq, CAUSAL, scale, s_lse, s_d);
#pragma unroll
    for (int nb = 0; nb < NQ; ++nb)
#pragma unroll
      for (int e = 0; e < 4; ++e) sdS[bwd::ds_store_offset(w, lane, nb, e)] = from_float<T>(dpt[nb][e]);
    // dV += Pᵀ·dO and dK += dSᵀ·Q: B operands stored [query][dim], loaded transposed.
#pragma unroll
    for (int kk = 0; kk < NQ / 2; ++kk) {
      uint32_t pa[4], dsa[4];
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const int b0 = warp::accum_to_a_block(kk, 2 * r), e0 = warp::accum_to_a_elem(2 * r);
        const int b1 = warp::accum_to_a_block(kk, 2 * r + 1), e1 = warp::accum_to_a_elem(2 * r + 1);
        pa[r] = pack2<T>(st[b0][e0], st[b1][e1]);
        dsa[r] = pack2<T>(dpt[b0][e0], dpt[b1][e1]);
      }
#pragma unroll
      for (int dp = 0; dp < D / 16; ++dp) {
        uint32_t ob[4], qb[4];
        ldmatrix_x4_trans(ob, &sdO[attn::ldsm_b_kn_offset(16 * kk, 16 * dp, LDS, lane)]);
        ldmatrix_x4_trans(qb, &sQ[attn::ldsm_b_kn_offset(16 * kk, 16 * dp, LDS, lane)]);
        mma_16816<T>(dv[2 * dp], pa, ob[0], ob[1]);
        mma_16816<T>(dv[2 * dp + 1], pa, ob[2], ob[3]);
        mma_16816<T>(dk[2 * dp], dsa, qb[0], qb[1]);
        mma_16816<T>(dk[2 * dp + 1], dsa, qb[2], qb[3]);
      }
    }
    __syncthreads();  // sdS complete

    // dQ (BQ x D) += dS (BQ x 64 keys) · K (64 x D): (16-row, 16-column) units over the warps.
    for (int unit = w; unit < bwd::dq_units(BQ, D); unit += kWarps) {
      const bwd::DqUnit u = bwd::dq_unit(unit, D);
      const int mt = u.mt, dp = u.dp;
      float acc[2][4] = {};
#pragma unroll
      for (int kc = 0; kc < kBlockK / 16; ++kc) {
        uint32_t a[4], kb[4];
        ldmatrix_x4(a, &sdS[bwd::ds_load_offset(mt, kc, lane)]);
        ldmatrix_x4_trans(kb, &sK[attn::ldsm_b_kn_offset(16 * kc, 16 * dp, LDS, lane)]);
        mma_16816<T>(acc[0], a, kb[0], kb[1]);
        mma_16816<T>(acc[1], a, kb[2], kb[3]);
      }
#pragma unroll
      for (int half = 0; half < 2; ++half)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int64_t i = q0 + 16 * mt + warp::mma_c_fragment_row(lane, e);
          const int col = 16 * dp + 8 * half + warp::mma_c_fragment_col(lane, e);
          if (i < p.seq) atomicAdd(&p.dq_accum[layout().q_row(b, i, h) + col], acc[half][e]);
        }
    }
  }

  // No cp.async group may be pending at exit: were steps 0, the loop would never have waited
  // for the K/V prologue.
  cp_async_wait_all();

  // This warp's 16 key rows of dK and dV (rows past the sequence end are not stored).
  T* dK = static_cast<T*>(p.dk) + layout().kv_base(b, g);
  T* dV = static_cast<T*>(p.dv) + layout().kv_base(b, g);
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int64_t j = key_row0 + warp::mma_c_fragment_row(lane, 2 * half);
    if (j >= p.seq) continue;
#pragma unroll
    for (int db = 0; db < DB; ++db) {
      const int64_t at = layout().kv_at(j, 8 * db + warp::mma_c_fragment_col(lane, 2 * half));
      *reinterpret_cast<uint32_t*>(&dK[at]) = pack2<T>(dk[db][2 * half], dk[db][2 * half + 1]);
      *reinterpret_cast<uint32_t*>(&dV[at]) = pack2<T>(dv[db][2 * half], dv[db][2 * half + 1]);
    }
  }
}

unsigned grid_for(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(blocks < 65535 * 16 ? blocks : 65535 * 16);
}

template <typename T, int D, bool CAUSAL>
void launch(const AttentionParams& p, cudaStream_t stream) {
  check_grid_yz(p.kv_heads, p.batch, "attention backward");
  TB_CUDA_CHECK(cudaMemsetAsync(p.dq_accum, 0, sizeof(float) * p.batch * p.seq * p.heads * D, stream));
  const int64_t rows = p.batch * p.seq * p.heads;
  attention_bwd_preprocess<T><<<grid_for(rows, 256), 256, 0, stream>>>(p);
  TB_CUDA_CHECK(cudaGetLastError());
  auto kernel = attention_bwd_kernel<T, D, CAUSAL>;
  constexpr size_t smem = bwd_smem_bytes<D>();
  allow_dynamic_smem(reinterpret_cast<const void*>(kernel), static_cast<int>(smem));
  const dim3 grid(static_cast<unsigned>(attn::num_tiles(p.seq, kBlockK)), static_cast<unsigned>(p.kv_heads),
                  static_cast<unsigned>(p.batch));
  kernel<<<grid, kThreads, smem, stream>>>(p);
  TB_CUDA_CHECK(cudaGetLastError());
  attention_bwd_convert_dq<T><<<grid_for(rows * D, 256), 256, 0, stream>>>(p);
  TB_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void launch_attention_backward(const AttentionParams& p, ElementType type, cudaStream_t stream) {
  for_variant(p, type, "fused attention backward",
              [&]<typename T, int D, bool CAUSAL>() { launch<T, D, CAUSAL>(p, stream); });
}

}  // namespace tb::kernels::cuda::attention
