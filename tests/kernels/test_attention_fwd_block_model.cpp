// Whole thread blocks of the fused attention forward (kernels/cuda/attention_fwd.cu) on the CPU,
// for every block of its grid (query tile x head x batch): all 4 warps x 32 lanes, the barriers
// as phase boundaries. It runs the kernel's real instantiations (d = 64 and 128, 64-query and
// 64-key tiles) through the functions the kernel itself calls: tile sizes and ldmatrix offsets
// (kernels/common/attention_fwd_layout.hpp), global addresses, the GQA head map and tile-load
// chunks (attention_layout.hpp), the per-warp softmax step and epilogue (attention_fwd_warp.hpp)
// and the causal key-tile range (attention_math.hpp).
//
// Checked: O and the LSE against the fp64 reference, which indexes the tensors with its own
// formulas (kernels/cpu/attention_reference.hpp); every O and LSE element stored exactly once,
// O in aligned pairs (the kernel's 32-bit stores); the shared-memory schedule free of hazards
// (block_model.hpp: V(t) lands during S = Q·K(t)ᵀ, K(t+1) during O += P·V(t)); and causal blocks
// stop at the diagonal: every key tile they skip is invisible to all their rows.
//
// A head dim the kernel is not instantiated for (GPT-3 Large's 96, 2.7B's 80) runs on D = 128 with
// zero pad columns (kernels/common/attention_padding.hpp): the model pads the d-wide inputs by that
// plan, runs the D = 128 blocks at the plan's scale, and compares the real columns of O and the LSE
// with the reference at the true d; the pad columns of O must come out exactly zero.
//
// Precision as in the backward's block model: "bf16" rounds where the kernel converts to its
// storage type (inputs, P packed as the A operand, the O stores), "fp32" skips every rounding so
// that indexing errors cannot hide under bf16 noise.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "kernels/common/attention_fwd_layout.hpp"
#include "kernels/common/attention_fwd_warp.hpp"
#include "kernels/common/attention_layout.hpp"
#include "kernels/common/attention_math.hpp"
#include "kernels/common/attention_padding.hpp"
#include "kernels/common/warp_model.hpp"
#include "kernels/cpu/attention_reference.hpp"
#include "tests/kernels/block_model.hpp"

namespace attn = tb::kernels::attn;
namespace fwd = tb::kernels::attn::fwd;
namespace warp = tb::kernels::warp;
namespace bm = tb::test::block_model;

namespace {

struct Shape {
  int64_t batch, heads, kv_heads, seq;
};

// The kernel's inputs (bf16 values held in floats in a bf16 run) and outputs, NaN until stored.
struct Problem {
  Shape shape{};
  bool causal = false, bf16 = false;
  float scale = 0;
  std::vector<float> q, k, v, o, lse;
  std::vector<int> o_stores, lse_stores;
  int64_t misaligned_stores = 0;
  float cvt(float x) const { return bf16 ? bm::to_bf16(x) : x; }  // from_float<T> / pack2<T>
  attn::GlobalLayout layout(int d) const { return {shape.seq, shape.heads, shape.kv_heads, d}; }
};

// One warp's registers, lane by lane.
template <int D>
struct WarpRegs {
  static constexpr int NB = fwd::kBlockK / 8, DB = D / 8, KC = D / 16;
  bm::Regs qf[KC];
  float s[bm::kLanes][NB][4];
  float o[bm::kLanes][DB][4] = {};
  attn::SoftmaxState state[bm::kLanes][2];
};

// Whether any row of query tile qt sees a key of key tile kt.
bool tile_sees_keys(const Problem& p, int64_t qt, int64_t kt) {
  const int64_t seq = p.shape.seq;
  for (int64_t i = qt * fwd::kBlockQ; i < std::min<int64_t>((qt + 1) * fwd::kBlockQ, seq); ++i)
    for (int64_t j = kt * fwd::kBlockK; j < std::min<int64_t>((kt + 1) * fwd::kBlockK, seq); ++j)
      if (attn::key_visible(i, j, seq, p.causal)) return true;
  return false;
}

// attention_fwd_kernel<T, D, CAUSAL> as block (qt, h, b) executes it; returns the key tiles it visits.
template <int D>
int64_t run_block(Problem& p, int64_t qt, int64_t h, int64_t b, bm::Hazards& hz) {
  constexpr int BQ = fwd::kBlockQ, BK = fwd::kBlockK, LDS = attn::kSmemStride<D>;
  constexpr int NB = BK / 8, DB = D / 8, KC = D / 16, kW = fwd::kWarps, kT = fwd::kThreads;
  static_assert(kT == kW * bm::kLanes && fwd::kRowsPerWarp * kW == BQ);
  const int64_t seq = p.shape.seq;
  int64_t epoch = 0;
  bm::Shared sQ("sQ", BQ * LDS, epoch, hz), sK("sK", BK * LDS, epoch, hz), sV("sV", BK * LDS, epoch, hz);
  auto wait_all_and_sync = [&] {  // cp_async_wait_all(); __syncthreads();
    for (bm::Shared* s : {&sQ, &sK, &sV}) s->complete_async();
    ++epoch;
  };
  // cp_async_tile<T, D, ROWS, kThreads>: thread t copies chunks t, t + kThreads, ... of the head
  // whose first element is src[head]; .at() turns a wild address into an exception.
  auto cp_async_tile = [&](bm::Shared& smem, int rows, const std::vector<float>& src, int64_t head, int64_t stride,
                           int64_t row0) {
    smem.poison(0, rows * LDS);
    for (int t = 0; t < kT; ++t)
      for (int c = t; c < rows * (D / attn::kChunkElems); c += kT) {
        const attn::TileChunk tc = attn::tile_chunk(c, D, LDS, row0, stride, seq);
        for (int e = 0; e < attn::kChunkElems; ++e)
          smem.write(tc.smem + e, tc.valid ? src.at(static_cast<size_t>(head + tc.global + e)) : 0.f,
                     t / bm::kLanes, true);
      }
  };

  // ForwardBlock: this block's rows and heads.
  const attn::GlobalLayout layout = p.layout(D);
  const int64_t q0 = qt * BQ, g = layout.kv_head(h);
  const int64_t q_head = layout.q_base(b, h), kv_head = layout.kv_base(b, g);
  auto row0_of = [&](int w) { return q0 + fwd::warp_query_offset(w); };

  cp_async_tile(sQ, BQ, p.q, q_head, layout.q_stride(), q0);
  cp_async_tile(sK, BK, p.k, kv_head, layout.kv_stride(), 0);
  wait_all_and_sync();
  std::vector<WarpRegs<D>> regs(kW);
  for (int w = 0; w < kW; ++w)  // load_q_fragments
    for (int kc = 0; kc < KC; ++kc)
      regs[w].qf[kc] = bm::ldsm(sQ, 0, [&](int l) { return fwd::q_ldsm_offset<D>(w, kc, l); }, false, w);

  const float sl2 = attn::scale_log2(p.scale);
  const int64_t tiles = attn::key_tile_end(qt, BQ, BK, seq, p.causal);
  for (int64_t kt = 0; kt < tiles; ++kt) {
    const int64_t k0 = kt * BK;
    cp_async_tile(sV, BK, p.v, kv_head, layout.kv_stride(), k0);
    for (int w = 0; w < kW; ++w) {
      WarpRegs<D>& r = regs[w];
      for (auto& lane : r.s)
        for (auto& blk : lane) std::fill(std::begin(blk), std::end(blk), 0.f);
      for (int kc = 0; kc < KC; ++kc)
        for (int np = 0; np < NB / 2; ++np) {
          const bm::Regs kb = bm::ldsm(sK, 0, [&](int l) { return fwd::k_ldsm_offset<D>(np, kc, l); }, false, w);
          bm::mma([&](int l) -> float(&)[4] { return r.s[l][2 * np]; }, r.qf[kc], kb, 0);
          bm::mma([&](int l) -> float(&)[4] { return r.s[l][2 * np + 1]; }, r.qf[kc], kb, 1);
        }
      fwd::online_softmax_step<NB, DB, bm::kLanes>(
          [&](int l) { return fwd::SoftmaxLane<NB, DB>{r.s[l], r.o[l], r.state[l], l}; }, bm::quad_max_rows,
          row0_of(w), k0, seq, p.causal, sl2);
    }
    wait_all_and_sync();
    if (kt + 1 < tiles) cp_async_tile(sK, BK, p.k, kv_head, layout.kv_stride(), k0 + BK);
    for (int w = 0; w < kW; ++w) {
      WarpRegs<D>& r = regs[w];
      for (int kk = 0; kk < NB / 2; ++kk) {
        bm::Regs pa{};  // p_fragment: P packed to T
        for (int l = 0; l < bm::kLanes; ++l)
          for (int e = 0; e < 8; ++e) pa[l][e] = p.cvt(r.s[l][warp::accum_to_a_block(kk, e)][warp::accum_to_a_elem(e)]);
        for (int dp = 0; dp < D / 16; ++dp) {
          const bm::Regs vb = bm::ldsm(sV, 0, [&](int l) { return fwd::v_ldsm_offset<D>(kk, dp, l); }, true, w);
          bm::mma([&](int l) -> float(&)[4] { return r.o[l][2 * dp]; }, pa, vb, 0);
          bm::mma([&](int l) -> float(&)[4] { return r.o[l][2 * dp + 1]; }, pa, vb, 1);
        }
      }
    }
    wait_all_and_sync();
  }

  for (int w = 0; w < kW; ++w) {
    WarpRegs<D>& r = regs[w];
    fwd::store_output_and_lse<DB, bm::kLanes>(
        [&](int l) { return fwd::OutputLane<DB>{r.o[l], r.state[l], l}; }, bm::quad_sum_lanes, layout, b, h,
        row0_of(w),
        [&](int64_t at, float lo, float hi) {
          if (at % 2 != 0) ++p.misaligned_stores;  // a 32-bit store of two 16-bit elements
          for (int x = 0; x < 2; ++x) {
            p.o.at(static_cast<size_t>(at + x)) = p.cvt(x == 0 ? lo : hi);
            ++p.o_stores.at(static_cast<size_t>(at + x));
          }
        },
        [&](int64_t at, float lse) {
          p.lse.at(static_cast<size_t>(at)) = lse;
          ++p.lse_stores.at(static_cast<size_t>(at));
        });
  }
  return tiles;
}


// Runs the whole grid; returns the key tiles each query tile visited (the same for every head).
// `d`: the true head dim, run on the instantiation D that the padding plan picks for it.
template <int D>
std::vector<int64_t> check_block_model(const Shape& shape, bool causal, bool bf16, int64_t d = D) {
  SCOPED_TRACE(testing::Message() << "d " << d << " on " << D << " causal " << causal << (bf16 ? " bf16" : " fp32")
                                  << " batch " << shape.batch << " heads " << shape.heads << "/" << shape.kv_heads
                                  << " seq " << shape.seq);
  const attn::HeadDimPadding plan = attn::fused_head_dim_padding(d);
  EXPECT_EQ(plan.padded_head_dim, D) << "the plan runs d " << d << " on another instantiation";
  const auto ap = tb::kernels::cpu::make_problem({shape.batch, shape.heads, shape.kv_heads, shape.seq, d, causal});
  EXPECT_EQ(plan.softmax_scale, ap.softmax_scale) << "the true d's scale";
  Problem p;
  p.shape = shape, p.causal = causal, p.bf16 = bf16, p.scale = static_cast<float>(plan.softmax_scale);
  std::mt19937 rng(static_cast<uint32_t>(2000 * d + 10 * causal + bf16));
  std::normal_distribution<float> dist(0.f, 1.f);
  // The d-wide inputs the reference sees, and the kernel's padded copies of them.
  std::vector<float> q(static_cast<size_t>(ap.q_elements())), k(static_cast<size_t>(ap.kv_elements())), v(k.size());
  for (auto* x : {&q, &k, &v})
    for (auto& e : *x) e = p.cvt(dist(rng));
  const int64_t q_rows = ap.q_elements() / d, kv_rows = ap.kv_elements() / d;
  p.q.resize(static_cast<size_t>(q_rows * D));
  p.k.resize(static_cast<size_t>(kv_rows * D));
  p.v.resize(p.k.size());
  attn::pad_rows(q.data(), q_rows, plan, p.q.data());
  attn::pad_rows(k.data(), kv_rows, plan, p.k.data());
  attn::pad_rows(v.data(), kv_rows, plan, p.v.data());
  p.o.assign(p.q.size(), NAN);
  p.o_stores.assign(p.q.size(), 0);
  p.lse.assign(static_cast<size_t>(ap.lse_elements()), NAN);
  p.lse_stores.assign(p.lse.size(), 0);

  bm::Hazards hz;
  const int64_t q_tiles = attn::num_tiles(shape.seq, fwd::kBlockQ), k_tiles = attn::num_tiles(shape.seq, fwd::kBlockK);
  std::vector<int64_t> visited(static_cast<size_t>(q_tiles));
  for (int64_t b = 0; b < shape.batch; ++b)  // the grid: query tiles x heads x batch
    for (int64_t h = 0; h < shape.heads; ++h)
      for (int64_t qt = 0; qt < q_tiles; ++qt) visited[static_cast<size_t>(qt)] = run_block<D>(p, qt, h, b, hz);
  EXPECT_EQ(hz.count, 0) << (hz.first.empty() ? "" : hz.first.front());
  for (size_t x = 1; x < hz.first.size(); ++x) ADD_FAILURE() << hz.first[x];

  // The key tiles a block visits: the last one has a key it sees, none it skips has.
  for (int64_t qt = 0; qt < q_tiles; ++qt) {
    const int64_t end = visited[static_cast<size_t>(qt)];
    EXPECT_TRUE(end >= 1 && tile_sees_keys(p, qt, end - 1)) << "query tile " << qt << " stops at " << end;
    for (int64_t kt = end; kt < k_tiles; ++kt)
      EXPECT_FALSE(tile_sees_keys(p, qt, kt)) << "query tile " << qt << " skips key tile " << kt;
  }

  // Every element stored once, where the reference's own layout says it belongs.
  EXPECT_EQ(std::count(p.o_stores.begin(), p.o_stores.end(), 1), static_cast<int64_t>(p.o_stores.size()))
      << "every O element stored exactly once";
  EXPECT_EQ(std::count(p.lse_stores.begin(), p.lse_stores.end(), 1), static_cast<int64_t>(p.lse_stores.size()))
      << "every LSE element stored exactly once";
  EXPECT_EQ(p.misaligned_stores, 0);
  int64_t first_pad = -1;
  EXPECT_EQ(attn::nonzero_pads(p.o.data(), q_rows, plan, &first_pad), 0)
      << "O's pad columns are not zero; the first at element " << first_pad;
  std::vector<float> o(q.size());
  attn::real_columns(p.o.data(), q_rows, plan, o.data());
  std::vector<double> o_ref, lse_ref;
  tb::kernels::cpu::reference_forward(ap, q.data(), k.data(), v.data(), o_ref, lse_ref);
  // bf16: P and O are rounded once to 8 significant bits (2^-9 relative); fp32: the kernel's math
  // exactly, up to summation order and exp2f.
  const bm::Error eo = bm::compare(o, o_ref);
  EXPECT_EQ(eo.non_finite, 0) << "O";
  EXPECT_LT(eo.max_rel, bf16 ? 2e-2 : 2e-5) << "O";
  EXPECT_LT(eo.rms_rel, bf16 ? 1e-2 : 2e-6) << "O";
  double lse_err = 0;
  for (size_t x = 0; x < lse_ref.size(); ++x)
    lse_err = std::max(lse_err, std::abs(p.lse[x] - lse_ref[x]) / (1 + std::abs(lse_ref[x])));
  EXPECT_LT(lse_err, 1e-5) << "LSE";  // fp32 scores of the same (rounded) inputs either way
  if (std::getenv("TB_BLOCK_MODEL_VERBOSE"))
    std::printf("d %lld on %d causal %d %s: O max_rel %.3g rms_rel %.3g, LSE %.3g\n", static_cast<long long>(d), D,
                causal, bf16 ? "bf16" : "fp32", eo.max_rel, eo.rms_rel, lse_err);
  return visited;
}

// batch 2, heads 4 on kv_heads 2: grid y and z, the GQA head map and the global offsets they
// select. seq 200 = 3 full tiles + 8 rows, so the last query tile and key tile are ragged.
constexpr Shape kGqa{2, 4, 2, 200};

template <int D>
void check_causal_early_exit() {
  // Query tile qt sees keys 0..64·qt + 63: tiles 0..qt. Tile 0 and a middle tile stop early.
  const std::vector<int64_t> visited = check_block_model<D>(kGqa, true, false);
  EXPECT_EQ(visited, (std::vector<int64_t>{1, 2, 3, 4}));
}

}  // namespace

TEST(AttentionFwdBlockModel, HeadDim64) {
  for (bool bf16 : {false, true}) {
    const std::vector<int64_t> visited = check_block_model<64>(kGqa, false, bf16);
    EXPECT_EQ(visited, (std::vector<int64_t>{4, 4, 4, 4}));
  }
}

TEST(AttentionFwdBlockModel, HeadDim128) {
  for (bool bf16 : {false, true}) check_block_model<128>(kGqa, false, bf16);
}

TEST(AttentionFwdBlockModel, CausalBlocksStopAtTheDiagonalHeadDim64) { check_causal_early_exit<64>(); }
TEST(AttentionFwdBlockModel, CausalBlocksStopAtTheDiagonalHeadDim128) { check_causal_early_exit<128>(); }

// A causal run in bf16, and a sequence shorter than one tile (every block ragged, one key tile).
TEST(AttentionFwdBlockModel, CausalBf16AndShortSequence) {
  check_block_model<64>(kGqa, true, true);
  EXPECT_EQ(check_block_model<128>({1, 2, 1, 37}, true, false), (std::vector<int64_t>{1}));
}

// GPT-3 Large's d = 96 and 2.7B's d = 80 on the d = 128 kernel, zero-padded: real columns of O and
// the LSE equal the reference at the true d (scale 1/sqrt(d)), pads stay zero; causal and not,
// GQA, ragged, both precisions.
TEST(AttentionFwdBlockModel, HeadDims96And80RunPaddedTo128) {
  for (const int64_t d : {96, 80})
    for (bool causal : {false, true})
      for (bool bf16 : {false, true}) {
        const std::vector<int64_t> visited = check_block_model<128>(kGqa, causal, bf16, d);
        EXPECT_EQ(visited, causal ? (std::vector<int64_t>{1, 2, 3, 4}) : (std::vector<int64_t>{4, 4, 4, 4}));
      }
}

// A scale of d_pad instead of d flattens the softmax: the check above would see it. Here the
// reference itself is run at the wrong scale to show the difference is far beyond the tolerance.
TEST(AttentionFwdBlockModel, PaddedRunAtThePaddedScaleWouldFail) {
  const attn::HeadDimPadding plan = attn::fused_head_dim_padding(96);
  auto wrong = tb::kernels::cpu::make_problem({1, 1, 1, 64, 96, false});
  const auto right = wrong;
  wrong.softmax_scale = 1.0 / std::sqrt(128.0);
  EXPECT_EQ(plan.softmax_scale, right.softmax_scale);
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> q(static_cast<size_t>(right.q_elements())), k(q.size()), v(q.size());
  for (auto* x : {&q, &k, &v})
    for (auto& e : *x) e = dist(rng);
  std::vector<double> o_right, o_wrong, lse_right, lse_wrong;
  tb::kernels::cpu::reference_forward(right, q.data(), k.data(), v.data(), o_right, lse_right);
  tb::kernels::cpu::reference_forward(wrong, q.data(), k.data(), v.data(), o_wrong, lse_wrong);
  std::vector<float> got(o_wrong.begin(), o_wrong.end());
  EXPECT_GT(bm::compare(got, o_right).rms_rel, 1e-2) << "the bf16 tolerance of the padded check";
}

// The shared global layout (attention_layout.hpp) against the reference's own index formulas,
// element by element, and the preprocess's flat-row decomposition as its inverse.
TEST(AttentionLayout, GlobalOffsetsMatchTheReferenceLayout) {
  const auto ap = tb::kernels::cpu::make_problem({3, 6, 2, 5, 8, false});
  const attn::GlobalLayout l{ap.seq, ap.heads, ap.kv_heads, ap.head_dim};
  for (int64_t b = 0; b < ap.batch; ++b)
    for (int64_t i = 0; i < ap.seq; ++i)
      for (int64_t h = 0; h < ap.heads; ++h) {
        EXPECT_EQ(l.q_row(b, i, h), ap.q_row(b, i, h));
        EXPECT_EQ(l.q_base(b, h) + l.q_at(i, 3), ap.q_row(b, i, h) + 3);
        EXPECT_EQ(l.lse_index(b, h, i), ap.lse_at(b, h, i));
        EXPECT_EQ(l.kv_head(h), h / ap.group());
        const attn::QRowIndex at = attn::q_row_index(l, l.q_row(b, i, h) / ap.head_dim);
        EXPECT_TRUE(at.b == b && at.i == i && at.h == h) << b << " " << i << " " << h;
        if (i > 0) EXPECT_EQ(l.q_row(b, i, h) - l.q_row(b, i - 1, h), l.q_stride());
      }
  for (int64_t b = 0; b < ap.batch; ++b)
    for (int64_t j = 0; j < ap.seq; ++j)
      for (int64_t g = 0; g < ap.kv_heads; ++g) {
        EXPECT_EQ(l.kv_row(b, j, g), ap.kv_row(b, j, g));
        EXPECT_EQ(l.kv_base(b, g) + l.kv_at(j, 5), ap.kv_row(b, j, g) + 5);
        if (j > 0) EXPECT_EQ(l.kv_row(b, j, g) - l.kv_row(b, j - 1, g), l.kv_stride());
      }
}
