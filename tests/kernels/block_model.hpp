#pragma once
// What the host models of whole attention thread blocks (test_attention_fwd_block_model.cpp,
// test_attention_bwd_block_model.cpp) share: shared memory with a hazard check per element,
// ldmatrix and mma for a warp of 32 lanes on the warp model, and the quad reductions of the
// forward's per-warp steps over a whole warp.
//
// Shared memory is modelled region by region: between two barriers, a location one warp writes
// may not be read or written by another warp, and a cp.async destination may not be read at all
// until a cp.async.wait + barrier. Every region starts as NaN (uninitialised), and a model
// NaN-poisons a region's dead contents before refilling it, so that a read of anything the kernel
// did not write poisons the results.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kernels/common/float_formats.hpp"
#include "kernels/common/warp_model.hpp"

namespace tb::test::block_model {

namespace warp = tb::kernels::warp;

inline constexpr int kLanes = warp::kWarpSize;

inline float to_bf16(float x) { return tb::kernels::bf16_to_float(tb::kernels::float_to_bf16(x)); }

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
  std::span<const float> values() const { return v_; }

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

// ldmatrix.x4(.trans) by warp w: lane l gives the row address s[base + off(l)]. The emulation
// throws for a row that is not 16-byte aligned or leaves the region; the 8 elements of each row
// are then reads for the hazard check.
template <typename Off>
Regs ldsm(Shared& s, int base, Off off, bool trans, int w) {
  warp::LaneArray<int> rows{};
  for (int l = 0; l < kLanes; ++l) rows[l] = base + off(l);
  const Regs r = warp::ldmatrix_x4(s.values(), rows, trans);
  for (int l = 0; l < kLanes; ++l)
    for (int e = 0; e < 8; ++e) s.read(rows[l] + e, w);
  return r;
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

// The quad reductions of attention_fwd_warp.hpp's steps when the caller holds the whole warp
// (LANES = 32): the kernels' xor-1, xor-2 shuffles on the warp model.
inline void quad_max_rows(float (&m)[kLanes][2]) {
  for (int r = 0; r < 2; ++r) {
    warp::LaneArray<float> v{};
    for (int l = 0; l < kLanes; ++l) v[l] = m[l][r];
    v = warp::quad_allreduce_max(v);
    for (int l = 0; l < kLanes; ++l) m[l][r] = v[l];
  }
}
inline void quad_sum_lanes(float (&s)[kLanes]) {
  warp::LaneArray<float> v{};
  std::copy(std::begin(s), std::end(s), v.begin());
  v = warp::quad_allreduce_sum(v);
  std::copy(v.begin(), v.end(), std::begin(s));
}

// A block model's output against the fp64 reference: the worst |got − ref| / max|ref|, the
// relative RMS error, and how many outputs are not finite (left out of both).
struct Error {
  double max_rel = 0, rms_rel = 0;
  int64_t non_finite = 0;
};
inline Error compare(const std::vector<float>& got, const std::vector<double>& ref) {
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

}  // namespace tb::test::block_model
