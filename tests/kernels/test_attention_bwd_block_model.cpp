// One whole thread block of the fused attention backward (kernels/cuda/attention_bwd.cu) on the
// CPU, for every block of its grid (key tile x K/V head x batch): all 4 warps x 32 lanes, the
// barriers as phase boundaries (every warp runs a phase's code, then the next phase starts).
// Where test_warp_model.cpp checks one warp's fragment logic, this checks what only a block
// has: the warps' key offsets, the shared dS tile they write as [query][key] (column 16·w, row
// stride kDsStride) and read back for dQ, the dQ units dealt round-robin to the warps, the
// causal first query tile, the double-buffered (head, query tile) sequence of grouped-query
// heads, and the ragged edges. The addresses come from the functions the kernel itself calls
// (kernels/common/attention_bwd_layout.hpp, attention_math.hpp, warp_model.hpp).
//
// Shared memory is modelled region by region with a hazard check per element: between two
// barriers, a location one warp writes may not be read or written by another warp, and a
// cp.async destination may not be read at all until a cp.async.wait + barrier. Every region
// starts as NaN (uninitialised), and a region's dead contents are NaN-poisoned again before it
// is refilled, so a read of anything the kernel did not write this step poisons the gradients.
//
// Precision: "bf16" runs round exactly where the kernel converts to its storage type (inputs,
// the saved O behind the D term, P and dS packed as mma A operands, dS in shared memory, dK/dV
// stores, the dQ conversion), with fp32 accumulation; "fp32" runs skip every rounding (the
// kernel's data flow as if T were float, which the kernel itself is not instantiated for), so
// that indexing errors cannot hide under bf16 noise. fp16 (the kernel's other T) is not modelled.
// Global-memory offsets (tensor bases, the dQ atomics, the dK/dV stores) are copied from the
// kernel, not shared with it.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/attention_bwd_layout.hpp"
#include "kernels/common/attention_math.hpp"
#include "kernels/common/float_formats.hpp"
#include "kernels/common/warp_model.hpp"
#include "kernels/cpu/attention_reference.hpp"

namespace attn = tb::kernels::attn;
namespace bwd = tb::kernels::attn::bwd;
namespace warp = tb::kernels::warp;

namespace {

constexpr int kLanes = warp::kWarpSize;

float to_bf16(float x) { return tb::kernels::bf16_to_float(tb::kernels::float_to_bf16(x)); }

// Hazards found by the shared-memory model (first few kept verbatim).
struct Hazards {
  int64_t count = 0;
  std::vector<std::string> first;
  void add(const std::string& what) {
    if (first.size() < 8) first.push_back(what);
    ++count;
  }
};

// One region of the kernel's dynamic shared memory; `epoch` counts the block's barriers.
class Shared {
 public:
  Shared(std::string name, int size, const int64_t& epoch, Hazards& hz)
      : name_(std::move(name)), v_(static_cast<size_t>(size), NAN), meta_(static_cast<size_t>(size)), epoch_(epoch),
        hz_(hz) {}
  int size() const { return static_cast<int>(v_.size()); }
  const float* data() const { return v_.data(); }

  void read(int i, int w) {
    if (!in_range(i, w, "read")) return;
    Meta& m = meta_[static_cast<size_t>(i)];
    if (m.pending) hazard(i, w, "reads a cp.async destination before cp.async.wait + barrier");
    else if (m.write_epoch == epoch_ && m.write_warp != w) hazard(i, w, "reads what another warp wrote in this phase");
    if (m.read_epoch != epoch_) m.read_epoch = epoch_, m.readers = 0;
    m.readers |= 1u << w;
  }
  // `async`: a cp.async destination, complete only at the next cp.async.wait + barrier.
  void write(int i, float x, int w, bool async = false) {
    if (!in_range(i, w, "write")) return;
    Meta& m = meta_[static_cast<size_t>(i)];
    if (m.pending || (m.write_epoch == epoch_ && m.write_warp != w)) hazard(i, w, "writes what another warp wrote");
    if (m.read_epoch == epoch_ && (m.readers & ~(1u << w))) hazard(i, w, "writes what another warp read in this phase");
    m.write_epoch = epoch_, m.write_warp = w, m.pending = async;
    v_[static_cast<size_t>(i)] = x;
  }
  // After cp.async.wait_group 0 in every thread and __syncthreads().
  void complete_async() {
    for (Meta& m : meta_) m.pending = false;
  }
  // The contents of [begin, begin + n) are dead (the model's stand-in for stale data).
  void poison(int begin, int n) { std::fill_n(v_.begin() + begin, n, NAN); }

 private:
  struct Meta {
    int64_t write_epoch = -1, read_epoch = -1;
    int write_warp = -1;
    unsigned readers = 0;
    bool pending = false;
  };
  bool in_range(int i, int w, const char* what) {
    if (i >= 0 && i < size()) return true;
    hz_.add(name_ + ": warp " + std::to_string(w) + " " + what + " out of bounds at " + std::to_string(i));
    return false;
  }
  void hazard(int i, int w, const char* what) {
    hz_.add(name_ + "[" + std::to_string(i) + "] epoch " + std::to_string(epoch_) + ": warp " + std::to_string(w) +
            " " + what);
  }
  std::string name_;
  std::vector<float> v_;
  std::vector<Meta> meta_;
  const int64_t& epoch_;
  Hazards& hz_;
};

using Regs = warp::LaneArray<std::array<float, 8>>;  // ldmatrix.x4 destination registers (2 halves each)

// ldmatrix.x4(.trans) by warp w: lane l gives the row address s[base + off(l)] (16-byte aligned,
// 8 elements read per row).
template <typename Off>
Regs ldsm(Shared& s, int base, Off off, bool trans, int w, Hazards& hz) {
  warp::LaneArray<const float*> ptr{};
  static const float kNan[8] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
  for (int l = 0; l < kLanes; ++l) {
    const int o = base + off(l);
    if (o % 8 != 0) hz.add("ldmatrix row address not 16-byte aligned: element " + std::to_string(o));
    if (o < 0 || o + 8 > s.size()) {
      hz.add("ldmatrix row out of bounds: element " + std::to_string(o));
      ptr[l] = kNan;
      continue;
    }
    for (int e = 0; e < 8; ++e) s.read(o + e, w);
    ptr[l] = s.data() + o;
  }
  return warp::ldmatrix_x4(ptr, trans);
}

// mma_16816<T>(c, a, b[2·half], b[2·half + 1]) for the 32 lanes; c(l) is lane l's float[4].
template <typename C>
void mma(C c, const Regs& a, const Regs& b, int half) {
  warp::WarpA fa{};
  warp::WarpB fb{};
  warp::WarpC fc{};
  for (int l = 0; l < kLanes; ++l) {
    for (int e = 0; e < 8; ++e) fa[l].x[e] = a[l][e];
    for (int e = 0; e < 4; ++e) fb[l].x[e] = b[l][4 * half + e], fc[l].x[e] = c(l)[e];
  }
  warp::mma_m16n8k16(fa, fb, fc);
  for (int l = 0; l < kLanes; ++l)
    for (int e = 0; e < 4; ++e) c(l)[e] = fc[l].x[e];
}

// The kernel's inputs (bf16 values held in floats in a bf16 run) and outputs.
struct Problem {
  int64_t batch = 0, heads = 0, kv_heads = 0, seq = 0;
  bool causal = false, bf16 = false;
  float scale = 0;
  std::vector<float> q, k, v, dout, lse, d_term;  // lse: natural log, fp32 (the forward's output)
  std::vector<float> dq_accum, dk, dv;
  std::vector<int> dk_stores;  // stores per dK/dV element (each exactly one)
  float cvt(float x) const { return bf16 ? to_bf16(x) : x; }  // from_float<T> / pack2<T>
};

// attention_bwd_kernel<T, D, CAUSAL> as block (kt, g, b) executes it.
template <int D>
void run_block(Problem& p, int64_t kt, int64_t g, int64_t b, Hazards& hz) {
  constexpr int BQ = bwd::kBlockQ<D>, LDS = D + 8 /* kSmemStride<D> */, NQ = BQ / 8, DB = D / 8, KC = D / 16;
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
  // cp_async_tile<T, D, ROWS, kThreads>: thread t copies chunks t, t + kThreads, ...
  auto cp_async_tile = [&](Shared& smem, int smem_base, int rows, const float* base, int64_t stride, int64_t row0) {
    smem.poison(smem_base, rows * LDS);
    for (int t = 0; t < kT; ++t)
      for (int c = t; c < rows * (D / attn::kChunkElems); c += kT) {
        const int r = attn::tile_chunk_row(c, D), col = attn::tile_chunk_col(c, D);
        const bool valid = row0 + r < p.seq;
        for (int e = 0; e < attn::kChunkElems; ++e)
          smem.write(smem_base + r * LDS + col + e, valid ? base[(row0 + r) * stride + col + e] : 0.f, t / kLanes,
                     true);
      }
  };

  const int64_t q_stride = p.heads * D, kv_stride = p.kv_heads * D;
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
    cp_async_tile(sQ_buf, buf * BQ * LDS, BQ, p.q.data() + (b * p.seq * p.heads + h) * D, q_stride, q0);
    cp_async_tile(sdO_buf, buf * BQ * LDS, BQ, p.dout.data() + (b * p.seq * p.heads + h) * D, q_stride, q0);
    s_lse_buf.poison(buf * BQ, BQ);
    s_d_buf.poison(buf * BQ, BQ);
    for (int t = 0; t < kT; ++t)
      for (int r = t; r < BQ; r += kT) {
        const bool valid = q0 + r < p.seq;
        s_lse_buf.write(buf * BQ + r, valid ? attn::lse_to_log2(p.lse[(b * p.heads + h) * p.seq + q0 + r]) : INFINITY,
                        t / kLanes);
        s_d_buf.write(buf * BQ + r, valid ? p.d_term[(b * p.heads + h) * p.seq + q0 + r] : 0.f, t / kLanes);
      }
  };

  // Prologue.
  cp_async_tile(sK, 0, kBlockK, p.k.data() + (b * p.seq * p.kv_heads + g) * D, kv_stride, k0);
  cp_async_tile(sV, 0, kBlockK, p.v.data() + (b * p.seq * p.kv_heads + g) * D, kv_stride, k0);
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
        const Regs ka = ldsm(sK, 0, [&](int l) { return bwd::ldsm_a_offset(bwd::warp_key_offset(w), 16 * kc, LDS, l); },
                             false, w, hz);
        const Regs va = ldsm(sV, 0, [&](int l) { return bwd::ldsm_a_offset(bwd::warp_key_offset(w), 16 * kc, LDS, l); },
                             false, w, hz);
        for (int np = 0; np < NQ / 2; ++np) {
          const Regs qb = ldsm(sQ_buf, sQ, [&](int l) { return bwd::ldsm_b_nk_offset(16 * np, 16 * kc, LDS, l); },
                               false, w, hz);
          const Regs ob = ldsm(sdO_buf, sdO, [&](int l) { return bwd::ldsm_b_nk_offset(16 * np, 16 * kc, LDS, l); },
                               false, w, hz);
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
          const Regs ob = ldsm(sdO_buf, sdO, [&](int l) { return bwd::ldsm_b_kn_offset(16 * kk, 16 * dp, LDS, l); },
                               true, w, hz);
          const Regs qb = ldsm(sQ_buf, sQ, [&](int l) { return bwd::ldsm_b_kn_offset(16 * kk, 16 * dp, LDS, l); },
                               true, w, hz);
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
          const Regs a = ldsm(sdS, 0, [&](int l) { return bwd::ds_load_offset(u.mt, kc, l); }, false, w, hz);
          const Regs kb =
              ldsm(sK, 0, [&](int l) { return bwd::ldsm_b_kn_offset(16 * kc, 16 * u.dp, LDS, l); }, true, w, hz);
          mma([&](int l) { return dq[l][0]; }, a, kb, 0);
          mma([&](int l) { return dq[l][1]; }, a, kb, 1);
        }
        for (int half = 0; half < 2; ++half)
          for (int l = 0; l < kLanes; ++l)
            for (int e = 0; e < 4; ++e) {
              const int64_t i = q0 + 16 * u.mt + warp::mma_c_fragment_row(l, e);
              const int col = 16 * u.dp + 8 * half + warp::mma_c_fragment_col(l, e);
              if (i >= p.seq) continue;
              p.dq_accum[static_cast<size_t>((b * p.seq + i) * q_stride + h * D + col)] += dq[l][half][e];  // atomicAdd
            }
      }
  }

  // Each warp's 16 key rows of dK and dV (rows past the sequence end are not stored).
  const int64_t kv_base = (b * p.seq * p.kv_heads + g) * D;
  for (int w = 0; w < kW; ++w)
    for (int l = 0; l < kLanes; ++l)
      for (int half = 0; half < 2; ++half) {
        const int64_t j = k0 + bwd::warp_key_offset(w) + warp::mma_c_fragment_row(l, 2 * half);
        if (j >= p.seq) continue;
        const LaneAcc& a = acc[static_cast<size_t>(kLanes * w + l)];
        for (int db = 0; db < DB; ++db) {
          const int col = 8 * db + warp::mma_c_fragment_col(l, 2 * half);
          for (int x = 0; x < 2; ++x) {
            const size_t at = static_cast<size_t>(kv_base + j * kv_stride + col + x);
            p.dk[at] = p.cvt(a.dk[db][2 * half + x]);
            p.dv[at] = p.cvt(a.dv[db][2 * half + x]);
            ++p.dk_stores[at];
          }
        }
      }
}

struct Shape {
  int64_t batch, heads, kv_heads, seq;
};

// Worst |got − ref| / max|ref| of one gradient, and its relative RMS error.
struct Error {
  double max_rel = 0, rms_rel = 0;
  int64_t non_finite = 0;
};
Error compare(const std::vector<float>& got, const std::vector<double>& ref) {
  double ref_max = 0, ref_ss = 0, err_ss = 0, err_max = 0;
  Error r;
  for (size_t x = 0; x < ref.size(); ++x) {
    if (!std::isfinite(got[x])) {
      ++r.non_finite;
      continue;
    }
    const double e = std::abs(got[x] - ref[x]);
    ref_max = std::max(ref_max, std::abs(ref[x]));
    err_max = std::max(err_max, e);
    ref_ss += ref[x] * ref[x];
    err_ss += e * e;
  }
  r.max_rel = err_max / ref_max;
  r.rms_rel = std::sqrt(err_ss / ref_ss);
  return r;
}

template <int D>
void check_block_model(const Shape& shape, bool causal, bool bf16) {
  SCOPED_TRACE(testing::Message() << "d " << D << " causal " << causal << (bf16 ? " bf16" : " fp32") << " batch "
                                  << shape.batch << " heads " << shape.heads << "/" << shape.kv_heads << " seq "
                                  << shape.seq);
  const auto ap = tb::kernels::cpu::make_problem({shape.batch, shape.heads, shape.kv_heads, shape.seq, D, causal});
  Problem p;
  p.batch = shape.batch, p.heads = shape.heads, p.kv_heads = shape.kv_heads, p.seq = shape.seq;
  p.causal = causal, p.bf16 = bf16, p.scale = static_cast<float>(ap.softmax_scale);
  std::mt19937 rng(static_cast<uint32_t>(1000 * D + 10 * causal + bf16));
  std::normal_distribution<float> dist(0.f, 1.f);
  p.q.resize(static_cast<size_t>(ap.q_elements()));
  p.dout.resize(p.q.size());
  p.k.resize(static_cast<size_t>(ap.kv_elements()));
  p.v.resize(p.k.size());
  for (auto* x : {&p.q, &p.k, &p.v, &p.dout})
    for (auto& e : *x) e = p.cvt(dist(rng));

  // The forward's outputs (O in the storage type, LSE in fp32) and the preprocess kernel's D term.
  std::vector<double> o_ref, lse_ref;
  tb::kernels::cpu::reference_forward(ap, p.q.data(), p.k.data(), p.v.data(), o_ref, lse_ref);
  std::vector<float> o(o_ref.size());
  for (size_t x = 0; x < o.size(); ++x) o[x] = p.cvt(static_cast<float>(o_ref[x]));
  p.lse.assign(lse_ref.begin(), lse_ref.end());
  p.d_term.resize(static_cast<size_t>(ap.lse_elements()));
  for (int64_t r = 0; r < shape.batch * shape.seq * shape.heads; ++r) {  // attention_bwd_preprocess
    const int64_t h = r % shape.heads, i = (r / shape.heads) % shape.seq, b = r / (shape.heads * shape.seq);
    p.d_term[static_cast<size_t>((b * shape.heads + h) * shape.seq + i)] =
        attn::rowsum_product(&p.dout[static_cast<size_t>(r * D)], &o[static_cast<size_t>(r * D)], D,
                             [](float x) { return x; });
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

  std::vector<float> dq(p.q.size());  // attention_bwd_convert_dq
  for (size_t x = 0; x < dq.size(); ++x) dq[x] = p.cvt(p.dq_accum[x]);
  std::vector<double> dq_ref, dk_ref, dv_ref;
  tb::kernels::cpu::reference_backward(ap, p.q.data(), p.k.data(), p.v.data(), p.dout.data(), dq_ref, dk_ref, dv_ref);
  // bf16: each of P, dS, O (in D) and the outputs is rounded once to 8 significant bits
  // (2^-9 relative); errors measured at a quarter to a sixth of these bounds. fp32: the kernel's math
  // exactly, up to summation order.
  const double max_tol = bf16 ? 2e-2 : 2e-5, rms_tol = bf16 ? 1e-2 : 2e-6;
  const char* names[] = {"dQ", "dK", "dV"};
  const std::vector<float>* got[] = {&dq, &p.dk, &p.dv};
  const std::vector<double>* ref[] = {&dq_ref, &dk_ref, &dv_ref};
  for (int t = 0; t < 3; ++t) {
    const Error e = compare(*got[t], *ref[t]);
    EXPECT_EQ(e.non_finite, 0) << names[t];
    EXPECT_LT(e.max_rel, max_tol) << names[t];
    EXPECT_LT(e.rms_rel, rms_tol) << names[t];
    if (std::getenv("TB_BLOCK_MODEL_VERBOSE"))
      std::printf("d %d causal %d %s %s: max_rel %.3g rms_rel %.3g\n", D, causal, bf16 ? "bf16" : "fp32", names[t],
                  e.max_rel, e.rms_rel);
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
