#include "kernels/cpu/attention_tiled.hpp"

#include "kernels/cpu/blas_shim.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/common/attention_math.hpp"
#include "kernels/cpu/parallel_for.hpp"

namespace tb::kernels::cpu {
namespace {

// Eight partial sums, so that the compiler may vectorise without -ffast-math.
float dotf(const float* a, const float* b, int64_t n) {
  float acc[8] = {};
  int64_t c = 0;
  for (; c + 8 <= n; c += 8)
    for (int u = 0; u < 8; ++u) acc[u] += a[c + u] * b[c + u];
  float sum = 0.f;
  for (; c < n; ++c) sum += a[c] * b[c];
  for (int u = 0; u < 8; ++u) sum += acc[u];
  return sum;
}

}  // namespace

// FlashAttention-2 Algorithm 1, one query tile at a time; the GPU kernel does the same per warp.
void tiled_attention_forward(const AttentionProblem& p, const float* q, const float* k, const float* v, float* o,
                             float* lse, AttentionTiles tiles) {
  const int64_t d = p.head_dim, bq = tiles.block_q, bk = tiles.block_k;
  const float sl2 = attn::scale_log2(static_cast<float>(p.softmax_scale));
  // (batch, head) slices are independent: one per thread at a time.
  parallel_for(p.batch * p.heads, [&](int64_t bh) {
    const int64_t b = bh / p.heads, h = bh % p.heads;
    std::vector<float> acc(bq * d), s(bk);
    std::vector<attn::SoftmaxState> state(bq);
    const int64_t g = attn::kv_head_for(h, p.heads, p.kv_heads);
    for (int64_t qt = 0; qt < attn::num_tiles(p.seq, bq); ++qt) {
      const int64_t q0 = qt * bq, rows = attn::tile_valid_rows(q0, bq, p.seq);
      std::fill(acc.begin(), acc.end(), 0.f);
      std::fill(state.begin(), state.end(), attn::SoftmaxState{});
      for (int64_t kt = 0; kt < attn::key_tile_end(qt, bq, bk, p.seq, p.causal); ++kt) {
        const int64_t k0 = kt * bk, cols = attn::tile_valid_rows(k0, bk, p.seq);
        const bool need_mask = attn::tile_needs_mask(q0, k0, bk, p.seq, p.causal);
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t i = q0 + r;
          const float* qi = q + p.q_row(b, i, h);
          float tile_max = -INFINITY;
          for (int64_t c = 0; c < bk; ++c) {
            const int64_t j = k0 + c;
            const bool visible = c < cols && (!need_mask || attn::key_visible(i, j, p.seq, p.causal));
            s[c] = visible ? dotf(qi, k + p.kv_row(b, j, g), d) * sl2 : -INFINITY;
            tile_max = attn::max_nan(tile_max, s[c]);
          }
          const float factor = attn::softmax_rescale(state[r], tile_max);
          float* a = &acc[r * d];
          for (int64_t c = 0; c < d; ++c) a[c] *= factor;
          for (int64_t c = 0; c < cols; ++c) {
            const float pij = attn::exp2_shifted(s[c], state[r].max_log2);
            state[r].sum += pij;
            const float* vj = v + p.kv_row(b, k0 + c, g);
            for (int64_t e = 0; e < d; ++e) a[e] += pij * vj[e];
          }
        }
      }
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t i = q0 + r;
        const float inv = attn::softmax_inv_sum(state[r]);
        for (int64_t c = 0; c < d; ++c) o[p.q_row(b, i, h) + c] = acc[r * d + c] * inv;
        lse[p.lse_at(b, h, i)] = attn::lse_from_state(state[r]);
      }
    }
  });
}

// FlashAttention-2 Algorithm 2: per key tile, dK and dV stay in the accumulator while the
// query tiles (of every query head sharing this K/V head) stream past; dQ is accumulated in
// place, as the GPU kernel does with fp32 atomics.
void tiled_attention_backward(const AttentionProblem& p, const float* q, const float* k, const float* v,
                              const float* o, const float* lse, const float* dout, float* dq, float* dk, float* dv,
                              AttentionTiles tiles) {
  const int64_t d = p.head_dim, bq = tiles.block_q, bk = tiles.block_k;
  const float scale = static_cast<float>(p.softmax_scale);
  const float sl2 = attn::scale_log2(scale);
  std::fill(dq, dq + p.q_elements(), 0.f);
  std::vector<float> dterm(p.lse_elements());
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.heads; ++h)
      for (int64_t i = 0; i < p.seq; ++i)
        dterm[p.lse_at(b, h, i)] = attn::rowsum_product(dout + p.q_row(b, i, h), o + p.q_row(b, i, h), d,
                                                        [](float x) { return x; });
  // (batch, K/V head) slices are independent: their dK, dV rows and their query heads' dQ rows
  // are disjoint.
  parallel_for(p.batch * p.kv_heads, [&](int64_t bg) {
    const int64_t b = bg / p.kv_heads, g = bg % p.kv_heads;
    std::vector<float> dk_acc(bk * d), dv_acc(bk * d);
    for (int64_t kt = 0; kt < attn::num_tiles(p.seq, bk); ++kt) {
      const int64_t k0 = kt * bk, cols = attn::tile_valid_rows(k0, bk, p.seq);
      std::fill(dk_acc.begin(), dk_acc.end(), 0.f);
      std::fill(dv_acc.begin(), dv_acc.end(), 0.f);
      for (int64_t h = g * p.group(); h < (g + 1) * p.group(); ++h) {
        for (int64_t qt = attn::query_tile_begin(kt, bk, bq, p.causal); qt < attn::num_tiles(p.seq, bq); ++qt) {
          const int64_t q0 = qt * bq, rows = attn::tile_valid_rows(q0, bq, p.seq);
          const bool need_mask = attn::tile_needs_mask(q0, k0, bk, p.seq, p.causal);
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t i = q0 + r;
            const float* qi = q + p.q_row(b, i, h);
            const float* doi = dout + p.q_row(b, i, h);
            float* dqi = dq + p.q_row(b, i, h);
            const float lse_l2 = attn::lse_to_log2(lse[p.lse_at(b, h, i)]);
            const float di = dterm[p.lse_at(b, h, i)];
            for (int64_t c = 0; c < cols; ++c) {
              const int64_t j = k0 + c;
              if (need_mask && !attn::key_visible(i, j, p.seq, p.causal)) continue;
              const float* kj = k + p.kv_row(b, j, g);
              const float pij = attn::prob_from_lse(dotf(qi, kj, d) * sl2, lse_l2);
              const float ds = attn::dscore(pij, dotf(doi, v + p.kv_row(b, j, g), d), di) * scale;
              for (int64_t e = 0; e < d; ++e) {
                dv_acc[c * d + e] += pij * doi[e];
                dk_acc[c * d + e] += ds * qi[e];
                dqi[e] += ds * kj[e];
              }
            }
          }
        }
      }
      for (int64_t c = 0; c < cols; ++c) {
        std::copy(&dk_acc[c * d], &dk_acc[c * d] + d, dk + p.kv_row(b, k0 + c, g));
        std::copy(&dv_acc[c * d], &dv_acc[c * d] + d, dv + p.kv_row(b, k0 + c, g));
      }
    }
  });
}

namespace {

// S = scale·Q_h·K_gᵀ for one (batch, head), s×s row-major; rows are strided in [b, s, h, d].
void scores(const AttentionProblem& p, const float* q, const float* k, int64_t b, int64_t h, float* s) {
  const int64_t g = h / p.group();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, p.seq, p.seq, p.head_dim, static_cast<float>(p.softmax_scale),
              q + p.q_row(b, 0, h), p.heads * p.head_dim, k + p.kv_row(b, 0, g), p.kv_heads * p.head_dim, 0.f, s,
              p.seq);
}

}  // namespace

void unfused_attention_forward(const AttentionProblem& p, const float* q, const float* k, const float* v, float* o,
                               float* lse) {
  const int64_t n = p.seq;
  std::vector<float> sm(n * n);
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t h = 0; h < p.heads; ++h) {
      scores(p, q, k, b, h, sm.data());
      for (int64_t i = 0; i < n; ++i) {  // row softmax with the causal mask, in place: S → P
        float* row = &sm[i * n];
        const int64_t end = p.causal ? i + 1 : n;
        float mx = -INFINITY;
        for (int64_t j = 0; j < end; ++j) mx = std::max(mx, row[j]);
        float sum = 0.f;
        for (int64_t j = 0; j < end; ++j) sum += (row[j] = std::exp(row[j] - mx));
        for (int64_t j = 0; j < end; ++j) row[j] /= sum;
        std::fill(row + end, row + n, 0.f);
        lse[p.lse_at(b, h, i)] = mx + std::log(sum);
      }
      const int64_t g = h / p.group();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, p.head_dim, n, 1.f, sm.data(), n,
                  v + p.kv_row(b, 0, g), p.kv_heads * p.head_dim, 0.f, o + p.q_row(b, 0, h), p.heads * p.head_dim);
    }
  }
}

void unfused_attention_backward(const AttentionProblem& p, const float* q, const float* k, const float* v,
                                const float* lse, const float* dout, float* dq, float* dk, float* dv) {
  const int64_t n = p.seq, d = p.head_dim;
  const int64_t ldq = p.heads * d, ldk = p.kv_heads * d;
  std::vector<float> pm(n * n), dp(n * n);
  std::fill(dk, dk + p.kv_elements(), 0.f);
  std::fill(dv, dv + p.kv_elements(), 0.f);
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t h = 0; h < p.heads; ++h) {
      const int64_t g = h / p.group();
      scores(p, q, k, b, h, pm.data());
      for (int64_t i = 0; i < n; ++i) {  // P from the saved LSE, masked entries 0
        const float l = lse[p.lse_at(b, h, i)];
        for (int64_t j = 0; j < n; ++j)
          pm[i * n + j] = (!p.causal || j <= i) ? std::exp(pm[i * n + j] - l) : 0.f;
      }
      const float* doh = dout + p.q_row(b, 0, h);
      // dV_g += Pᵀ·dO_h (query heads of a group accumulate one after another: beta = 1).
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, d, n, 1.f, pm.data(), n, doh, ldq, 1.f,
                  dv + p.kv_row(b, 0, g), ldk);
      // dP = dO_h·V_gᵀ
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d, 1.f, doh, ldq, v + p.kv_row(b, 0, g), ldk, 0.f,
                  dp.data(), n);
      for (int64_t i = 0; i < n; ++i) {  // dS = scale · P ∘ (dP − rowsum(P ∘ dP))
        float di = 0.f;
        for (int64_t j = 0; j < n; ++j) di += pm[i * n + j] * dp[i * n + j];
        for (int64_t j = 0; j < n; ++j)
          dp[i * n + j] = static_cast<float>(p.softmax_scale) * pm[i * n + j] * (dp[i * n + j] - di);
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, n, 1.f, dp.data(), n, k + p.kv_row(b, 0, g), ldk,
                  0.f, dq + p.q_row(b, 0, h), ldq);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, d, n, 1.f, dp.data(), n, q + p.q_row(b, 0, h), ldq, 1.f,
                  dk + p.kv_row(b, 0, g), ldk);
    }
  }
}

}  // namespace tb::kernels::cpu
