// One whole thread block of the fused attention backward (kernels/cuda/attention_bwd.cu) on the
// CPU, for every block of its grid (key tile x K/V head x batch): all 4 warps x 32 lanes, the
// barriers as phase boundaries (every warp runs a phase's code, then the next phase starts).
// Where test_warp_model.cpp checks one warp's fragment logic, this checks what only a block
// has: the warps' key offsets, the shared dS tile they write as [query][key] (column 16·w, row
// stride kDsStride) and read back for dQ, the dQ units dealt round-robin to the warps, the
// causal first query tile, the double-buffered (head, query tile) sequence of grouped-query
// heads, and the ragged edges. The addresses, shared and global, come from the functions the
// kernel itself calls (kernels/common/attention_bwd_layout.hpp, attention_layout.hpp,
// attention_math.hpp, warp_model.hpp); the fp64 reference it is compared with indexes on its own.
//
// Shared memory is modelled with a hazard check per element (block_model.hpp); a region's dead
// contents are NaN-poisoned before it is refilled, so a read of anything the kernel did not
// write this step poisons the gradients.
//
// A head dim the kernel is not instantiated for (GPT-3 Large's 96, 2.7B's 80) runs on D = 128 with
// zero pad columns in Q, K, V, O and dO (kernels/common/attention_padding.hpp, which says why the
// gradients' pads stay zero): the real columns of dQ, dK, dV are compared with the reference at the
// true d, and their pads must come out exactly zero.
//
// Precision: "bf16" runs round exactly where the kernel converts to its storage type (inputs,
// the saved O behind the D term, P and dS packed as mma A operands, dS in shared memory, dK/dV
// stores, the dQ conversion), with fp32 accumulation; "fp32" runs skip every rounding (the
// kernel's data flow as if T were float, which the kernel itself is not instantiated for), so
// that indexing errors cannot hide under bf16 noise. fp16 (the kernel's other T) is not modelled.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/attention_bwd_layout.hpp"
#include "kernels/common/attention_layout.hpp"
#include "kernels/common/attention_math.hpp"
#include "kernels/common/attention_padding.hpp"
#include "kernels/common/warp_model.hpp"
#include "kernels/cpu/attention_reference.hpp"
#include "tests/kernels/block_model.hpp"

namespace attn = tb::kernels::attn;
namespace bwd = tb::kernels::attn::bwd;
namespace warp = tb::kernels::warp;

namespace {

using tb::test::block_model::compare;
using tb::test::block_model::Error;
using tb::test::block_model::Hazards;
using tb::test::block_model::kLanes;
using tb::test::block_model::ldsm;
using tb::test::block_model::mma;
using tb::test::block_model::Regs;
using tb::test::block_model::Shared;
using tb::test::block_model::to_bf16;

// The kernel's inputs (bf16 values held in floats in a bf16 run) and outputs.
struct Problem {
  int64_t batch = 0, heads = 0, kv_heads = 0, seq = 0;
  bool causal = false, bf16 = false;
  attn::GlobalLayout layout(int d) const { return {seq, heads, kv_heads, d}; }
  float scale = 0;
  std::vector<float> q, k, v, dout, lse, d_term;  // lse: natural log, fp32 (the forward's output)
  std::vector<float> dq_accum, dk, dv;
  std::vector<int> dk_stores;  // stores per dK/dV element (each exactly one)
  float cvt(float x) const { return bf16 ? to_bf16(x) : x; }  // from_float<T> / pack2<T>
};

// attention_bwd_kernel<T, D, CAUSAL> as block (kt, g, b) executes it.
template <int D>
void run_block(Problem& p, int64_t kt, int64_t g, int64_t b, Hazards& hz) {
  constexpr int BQ = bwd::kBlockQ<D>, LDS = attn::kSmemStride<D>, NQ = BQ / 8, DB = D / 8, KC = D / 16;
  constexpr int kW = bwd::kWarps, kT = bwd::kThreads, kBlockK = bwd::kBlockK;
  static_assert(kT == kW * kLanes && bwd::kKeysPerWarp * kW == kBlockK);
  int64_t epoch = 0;
  Shared sK("sK", kBlockK * LDS, epoch, hz), sV("sV", kBlockK * LDS, epoch, hz);
  Shared sQ_buf("sQ", 2 * BQ * LDS, epoch, hz), sdO_buf("sdO", 2 * BQ * LDS, epoch, hz);
  Shared sdS("sdS", BQ * bwd::kDsStride, epoch, hz);
  Shared s_lse_buf("s_lse", 2 * BQ, epoch, hz), s_d_buf("s_d", 2 * BQ, epoch, hz);
  Shared* all[] = {&sK, &sV, &sQ_buf, &sdO_buf, &sdS, &s_lse_buf, &s_d_buf};
  auto barrier = [&](bool after_wait_all) {
    if (after_wait_all)
      for (Shared* s : all) s->complete_async();
    ++epoch;
  };
  // cp_async_tile<T, D, ROWS, kThreads>: thread t copies chunks t, t + kThreads, ... of the
  // head whose first element is src[head]; .at() turns a wild address into an exception.
  auto cp_async_tile = [&](Shared& smem, int smem_base, int rows, const std::vector<float>& src, int64_t head,
                           int64_t stride, int64_t row0) {
    smem.poison(smem_base, rows * LDS);
    for (int t = 0; t < kT; ++t)
      for (int c = t; c < rows * (D / attn::kChunkElems); c += kT) {
        const attn::TileChunk tc = attn::tile_chunk(c, D, LDS, row0, stride, p.seq);
        for (int e = 0; e < attn::kChunkElems; ++e)
          smem.write(smem_base + tc.smem + e, tc.valid ? src.at(static_cast<size_t>(head + tc.global + e)) : 0.f,
                     t / kLanes, true);
      }
  };

  const attn::GlobalLayout layout = p.layout(D);
  const int64_t q_stride = layout.q_stride(), kv_stride = layout.kv_stride();
  const int64_t k0 = kt * kBlockK;
  const int64_t group = p.heads / p.kv_heads;
  const int64_t qt_begin = attn::query_tile_begin(kt, kBlockK, BQ, p.causal);
  const int64_t q_tiles = attn::num_tiles(p.seq, BQ);
  const int64_t steps = group * (q_tiles - qt_begin);

  // The loop's first query tile: no tile before it sees a key of this block (else gradients are
  // lost), and it sees one itself (else work is wasted).
  auto tile_sees_block = [&](int64_t qt) {
    for (int64_t i = qt * BQ; i < std::min<int64_t>((qt + 1) * BQ, p.seq); ++i)
      for (int64_t j = k0; j < std::min<int64_t>(k0 + kBlockK, p.seq); ++j)
        if (attn::key_visible(i, j, p.seq, p.causal)) return true;
    return false;
  };
  for (int64_t qt = 0; qt < qt_begin; ++qt)
    EXPECT_FALSE(tile_sees_block(qt)) << "key tile " << kt << " skips query tile " << qt;
  EXPECT_TRUE(qt_begin < q_tiles && tile_sees_block(qt_begin)) << "key tile " << kt << " starts at " << qt_begin;

  auto start_loading = [&](int64_t step, int buf) {
    const attn::BackwardStep at = attn::backward_step(step, g * group, qt_begin, q_tiles);
    const int64_t h = at.head, q0 = at.query_tile * BQ;
    cp_async_tile(sQ_buf, buf * BQ * LDS, BQ, p.q, layout.q_base(b, h), q_stride, q0);
    cp_async_tile(sdO_buf, buf * BQ * LDS, BQ, p.dout, layout.q_base(b, h), q_stride, q0);
    s_lse_buf.poison(buf * BQ, BQ);
    s_d_buf.poison(buf * BQ, BQ);
    for (int t = 0; t < kT; ++t)
      for (int r = t; r < BQ; r += kT) {
        const bool valid = q0 + r < p.seq;
        const size_t at = static_cast<size_t>(layout.lse_index(b, h, q0 + r));
        s_lse_buf.write(buf * BQ + r, valid ? attn::lse_to_log2(p.lse.at(at)) : INFINITY, t / kLanes);
        s_d_buf.write(buf * BQ + r, valid ? p.d_term.at(at) : 0.f, t / kLanes);
      }
  };

  // Prologue.
  cp_async_tile(sK, 0, kBlockK, p.k, layout.kv_base(b, g), kv_stride, k0);
  cp_async_tile(sV, 0, kBlockK, p.v, layout.kv_base(b, g), kv_stride, k0);
  if (steps > 0) start_loading(0, 0);

  struct LaneAcc {
    float dk[DB][4], dv[DB][4];
  };
  std::vector<LaneAcc> acc(kT, LaneAcc{});  // thread 32·w + lane's dK, dV registers
  for (int64_t step = 0; step < steps; ++step) {
    const int buf = static_cast<int>(step & 1);
    const attn::BackwardStep at = attn::backward_step(step, g * group, qt_begin, q_tiles);
    const int64_t h = at.head, q0 = at.query_tile * BQ;
    barrier(true);  // cp_async_wait_all(); __syncthreads();
    sdS.poison(0, sdS.size());  // last step's dS is dead
    if (step + 1 < steps) start_loading(step + 1, buf ^ 1);
    const int sQ = buf * BQ * LDS, sdO = buf * BQ * LDS, s_lse = buf * BQ, s_d = buf * BQ;

    for (int w = 0; w < kW; ++w) {
      const int64_t key_row0 = k0 + bwd::warp_key_offset(w);
      float st[kLanes][NQ][4] = {}, dpt[kLanes][NQ][4] = {};  // each lane's Sᵀ, dPᵀ accumulators
      for (int kc = 0; kc < KC; ++kc) {
        const Regs ka = ldsm(sK, 0, [&](int l) { return attn::ldsm_a_offset(bwd::warp_key_offset(w), 16 * kc, LDS, l); },
                             false, w);
        const Regs va = ldsm(sV, 0, [&](int l) { return attn::ldsm_a_offset(bwd::warp_key_offset(w), 16 * kc, LDS, l); },
                             false, w);
        for (int np = 0; np < NQ / 2; ++np) {
          const Regs qb = ldsm(sQ_buf, sQ, [&](int l) { return attn::ldsm_b_nk_offset(16 * np, 16 * kc, LDS, l); },
                               false, w);
          const Regs ob = ldsm(sdO_buf, sdO, [&](int l) { return attn::ldsm_b_nk_offset(16 * np, 16 * kc, LDS, l); },
                               false, w);
          mma([&](int l) { return st[l][2 * np]; }, ka, qb, 0);
          mma([&](int l) { return st[l][2 * np + 1]; }, ka, qb, 1);
          mma([&](int l) { return dpt[l][2 * np]; }, va, ob, 0);
          mma([&](int l) { return dpt[l][2 * np + 1]; }, va, ob, 1);
        }
      }
      // Pᵀ and dSᵀ per lane; dS to shared memory as [query][key].
      for (int l = 0; l < kLanes; ++l) {
        for (int nb = 0; nb < NQ; ++nb)
          for (int e = 0; e < 4; ++e) {
            s_lse_buf.read(s_lse + 8 * nb + warp::mma_c_fragment_col(l, e), w);
            s_d_buf.read(s_d + 8 * nb + warp::mma_c_fragment_col(l, e), w);
          }
        attn::lane_backward_probs<NQ>(st[l], dpt[l], l, key_row0, q0, p.seq, p.causal, p.scale,
                                      s_lse_buf.data() + s_lse, s_d_buf.data() + s_d);
        for (int nb = 0; nb < NQ; ++nb)
          for (int e = 0; e < 4; ++e) sdS.write(bwd::ds_store_offset(w, l, nb, e), p.cvt(dpt[l][nb][e]), w);
      }
      // dV += Pᵀ·dO and dK += dSᵀ·Q, A operands packed from the accumulators.
      for (int kk = 0; kk < NQ / 2; ++kk) {
        Regs pa{}, dsa{};
        for (int l = 0; l < kLanes; ++l)
          for (int r = 0; r < 4; ++r) {
            const int b0 = warp::accum_to_a_block(kk, 2 * r), e0 = warp::accum_to_a_elem(2 * r);
            const int b1 = warp::accum_to_a_block(kk, 2 * r + 1), e1 = warp::accum_to_a_elem(2 * r + 1);
            pa[l][2 * r] = p.cvt(st[l][b0][e0]), pa[l][2 * r + 1] = p.cvt(st[l][b1][e1]);
            dsa[l][2 * r] = p.cvt(dpt[l][b0][e0]), dsa[l][2 * r + 1] = p.cvt(dpt[l][b1][e1]);
          }
        for (int dp = 0; dp < D / 16; ++dp) {
          const Regs ob = ldsm(sdO_buf, sdO, [&](int l) { return attn::ldsm_b_kn_offset(16 * kk, 16 * dp, LDS, l); },
                               true, w);
          const Regs qb = ldsm(sQ_buf, sQ, [&](int l) { return attn::ldsm_b_kn_offset(16 * kk, 16 * dp, LDS, l); },
                               true, w);
          LaneAcc* a = &acc[static_cast<size_t>(kLanes * w)];
          mma([&](int l) { return a[l].dv[2 * dp]; }, pa, ob, 0);
          mma([&](int l) { return a[l].dv[2 * dp + 1]; }, pa, ob, 1);
          mma([&](int l) { return a[l].dk[2 * dp]; }, dsa, qb, 0);
          mma([&](int l) { return a[l].dk[2 * dp + 1]; }, dsa, qb, 1);
        }
      }
    }
    barrier(false);  // __syncthreads(): sdS complete

    // dQ += dS·K, 16x16 units dealt round-robin to the warps, added with atomics.
    for (int w = 0; w < kW; ++w)
      for (int unit = w; unit < bwd::dq_units(BQ, D); unit += kW) {
        const bwd::DqUnit u = bwd::dq_unit(unit, D);
        float dq[kLanes][2][4] = {};
        for (int kc = 0; kc < kBlockK / 16; ++kc) {
          const Regs a = ldsm(sdS, 0, [&](int l) { return bwd::ds_load_offset(u.mt, kc, l); }, false, w);
          const Regs kb =
              ldsm(sK, 0, [&](int l) { return attn::ldsm_b_kn_offset(16 * kc, 16 * u.dp, LDS, l); }, true, w);
          mma([&](int l) { return dq[l][0]; }, a, kb, 0);
          mma([&](int l) { return dq[l][1]; }, a, kb, 1);
        }
        for (int half = 0; half < 2; ++half)
          for (int l = 0; l < kLanes; ++l)
            for (int e = 0; e < 4; ++e) {
              const int64_t i = q0 + 16 * u.mt + warp::mma_c_fragment_row(l, e);
              const int col = 16 * u.dp + 8 * half + warp::mma_c_fragment_col(l, e);
              if (i >= p.seq) continue;
              p.dq_accum.at(static_cast<size_t>(layout.q_row(b, i, h) + col)) += dq[l][half][e];  // atomicAdd
            }
      }
  }

  // Each warp's 16 key rows of dK and dV (rows past the sequence end are not stored).
  for (int w = 0; w < kW; ++w)
    for (int l = 0; l < kLanes; ++l)
      for (int half = 0; half < 2; ++half) {
        const int64_t j = k0 + bwd::warp_key_offset(w) + warp::mma_c_fragment_row(l, 2 * half);
        if (j >= p.seq) continue;
        const LaneAcc& a = acc[static_cast<size_t>(kLanes * w + l)];
        for (int db = 0; db < DB; ++db) {
          const int col = 8 * db + warp::mma_c_fragment_col(l, 2 * half);
          for (int x = 0; x < 2; ++x) {
            const size_t at = static_cast<size_t>(layout.kv_base(b, g) + layout.kv_at(j, col + x));
            p.dk.at(at) = p.cvt(a.dk[db][2 * half + x]);
            p.dv.at(at) = p.cvt(a.dv[db][2 * half + x]);
            ++p.dk_stores.at(at);
          }
        }
      }
}

struct Shape {
  int64_t batch, heads, kv_heads, seq;
};


// `d`: the true head dim, run on the instantiation D that the padding plan picks for it.
template <int D>
void check_block_model(const Shape& shape, bool causal, bool bf16, int64_t d = D) {
  SCOPED_TRACE(testing::Message() << "d " << d << " on " << D << " causal " << causal << (bf16 ? " bf16" : " fp32")
                                  << " batch " << shape.batch << " heads " << shape.heads << "/" << shape.kv_heads
                                  << " seq " << shape.seq);
  const attn::HeadDimPadding plan = attn::fused_head_dim_padding(d);
  EXPECT_EQ(plan.padded_head_dim, D) << "the plan runs d " << d << " on another instantiation";
  const auto ap = tb::kernels::cpu::make_problem({shape.batch, shape.heads, shape.kv_heads, shape.seq, d, causal});
  Problem p;
  p.batch = shape.batch, p.heads = shape.heads, p.kv_heads = shape.kv_heads, p.seq = shape.seq;
  p.causal = causal, p.bf16 = bf16, p.scale = static_cast<float>(plan.softmax_scale);
  std::mt19937 rng(static_cast<uint32_t>(1000 * d + 10 * causal + bf16));
  std::normal_distribution<float> dist(0.f, 1.f);
  // The d-wide inputs the reference sees, and the kernel's padded copies of them.
  std::vector<float> q(static_cast<size_t>(ap.q_elements())), dout(q.size());
  std::vector<float> k(static_cast<size_t>(ap.kv_elements())), v(k.size());
  for (auto* x : {&q, &k, &v, &dout})
    for (auto& e : *x) e = p.cvt(dist(rng));
  const int64_t q_rows = ap.q_elements() / d, kv_rows = ap.kv_elements() / d;
  auto padded = [&](const std::vector<float>& real, int64_t rows) {
    std::vector<float> out(static_cast<size_t>(rows * D));
    attn::pad_rows(real.data(), rows, plan, out.data());
    return out;
  };
  p.q = padded(q, q_rows), p.dout = padded(dout, q_rows), p.k = padded(k, kv_rows), p.v = padded(v, kv_rows);

  // The forward's outputs (O in the storage type, LSE in fp32) and the preprocess kernel's D term.
  std::vector<double> o_ref, lse_ref;
  tb::kernels::cpu::reference_forward(ap, q.data(), k.data(), v.data(), o_ref, lse_ref);
  std::vector<float> o_real(o_ref.size());
  for (size_t x = 0; x < o_real.size(); ++x) o_real[x] = p.cvt(static_cast<float>(o_ref[x]));
  const std::vector<float> o = padded(o_real, q_rows);  // the forward's pads are zero (its model checks so)
  p.lse.assign(lse_ref.begin(), lse_ref.end());
  p.d_term.resize(static_cast<size_t>(ap.lse_elements()));
  const attn::GlobalLayout layout = p.layout(D);
  for (int64_t r = 0; r < shape.batch * shape.seq * shape.heads; ++r) {  // attention_bwd_preprocess
    const attn::QRowIndex at = attn::q_row_index(layout, r);
    const size_t row = static_cast<size_t>(layout.q_row(at.b, at.i, at.h));
    p.d_term.at(static_cast<size_t>(layout.lse_index(at.b, at.h, at.i))) =
        attn::rowsum_product(&p.dout.at(row), &o.at(row), D, [](float x) { return x; });
  }
  p.dq_accum.assign(p.q.size(), 0.f);
  p.dk.assign(p.k.size(), NAN);
  p.dv.assign(p.k.size(), NAN);
  p.dk_stores.assign(p.k.size(), 0);

  Hazards hz;
  for (int64_t b = 0; b < shape.batch; ++b)  // the grid: key tiles x K/V heads x batch
    for (int64_t g = 0; g < shape.kv_heads; ++g)
      for (int64_t kt = 0; kt < attn::num_tiles(shape.seq, bwd::kBlockK); ++kt) run_block<D>(p, kt, g, b, hz);
  EXPECT_EQ(hz.count, 0) << (hz.first.empty() ? "" : hz.first.front());
  for (size_t x = 1; x < hz.first.size(); ++x) ADD_FAILURE() << hz.first[x];
  EXPECT_EQ(std::count(p.dk_stores.begin(), p.dk_stores.end(), 1), static_cast<int64_t>(p.dk_stores.size()))
      << "every dK/dV element stored exactly once";

  std::vector<float> dq_padded(p.q.size());  // attention_bwd_convert_dq
  for (size_t x = 0; x < dq_padded.size(); ++x) dq_padded[x] = p.cvt(p.dq_accum[x]);
  // The gradients' real columns; their pads must be exactly zero.
  auto real = [&](const std::vector<float>& t, int64_t rows, const char* name) {
    int64_t first = -1;
    EXPECT_EQ(attn::nonzero_pads(t.data(), rows, plan, &first), 0)
        << name << "'s pad columns are not zero; the first at element " << first;
    std::vector<float> out(static_cast<size_t>(rows * d));
    attn::real_columns(t.data(), rows, plan, out.data());
    return out;
  };
  const std::vector<float> dq = real(dq_padded, q_rows, "dQ"), dk = real(p.dk, kv_rows, "dK"),
                           dv = real(p.dv, kv_rows, "dV");
  std::vector<double> dq_ref, dk_ref, dv_ref;
  tb::kernels::cpu::reference_backward(ap, q.data(), k.data(), v.data(), dout.data(), dq_ref, dk_ref, dv_ref);
  // bf16: each of P, dS, O (in D) and the outputs is rounded once to 8 significant bits
  // (2^-9 relative); errors measured at a quarter to a sixth of these bounds. fp32: the kernel's math
  // exactly, up to summation order.
  const double max_tol = bf16 ? 2e-2 : 2e-5, rms_tol = bf16 ? 1e-2 : 2e-6;
  const char* names[] = {"dQ", "dK", "dV"};
  const std::vector<float>* got[] = {&dq, &dk, &dv};
  const std::vector<double>* ref[] = {&dq_ref, &dk_ref, &dv_ref};
  for (int t = 0; t < 3; ++t) {
    const Error e = compare(*got[t], *ref[t]);
    EXPECT_EQ(e.non_finite, 0) << names[t];
    EXPECT_LT(e.max_rel, max_tol) << names[t];
    EXPECT_LT(e.rms_rel, rms_tol) << names[t];
    if (std::getenv("TB_BLOCK_MODEL_VERBOSE"))
      std::printf("d %lld on %d causal %d %s %s: max_rel %.3g rms_rel %.3g\n", static_cast<long long>(d), D, causal,
                  bf16 ? "bf16" : "fp32", names[t], e.max_rel, e.rms_rel);
  }
}

}  // namespace

// Ragged (130 = 2 tiles of 64 + 2 keys), grouped-query (2 query heads per K/V head, so a block's
// (head, query tile) sequence crosses a head boundary while double-buffering), causal or not.
TEST(AttentionBwdBlockModel, HeadDim64QueryTile64) {
  for (bool causal : {false, true})
    for (bool bf16 : {false, true}) check_block_model<64>({1, 2, 1, 130}, causal, bf16);
}

// d = 128 uses 32-row query tiles: the causal loop then starts at query tile 2·kt, not kt.
TEST(AttentionBwdBlockModel, HeadDim128QueryTile32) {
  for (bool causal : {false, true})
    for (bool bf16 : {false, true}) check_block_model<128>({1, 2, 1, 130}, causal, bf16);
}

// Batch > 1 and more K/V heads than one: the grid's y and z and the global offsets they select.
TEST(AttentionBwdBlockModel, BatchAndKvHeads) { check_block_model<64>({2, 4, 2, 77}, true, false); }

// GPT-3 Large's d = 96 and 2.7B's d = 80 on the d = 128 kernel (32-row query tiles), zero-padded:
// real columns of dQ, dK, dV equal the reference at the true d, pads stay zero; causal and not.
TEST(AttentionBwdBlockModel, HeadDims96And80RunPaddedTo128) {
  for (const int64_t d : {96, 80})
    for (bool causal : {false, true})
      for (bool bf16 : {false, true}) check_block_model<128>({1, 2, 1, 130}, causal, bf16, d);
}
