#include "kernels/cpu/attention_verify.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/cpu/parallel_for.hpp"

namespace tb::kernels::cpu {
namespace {

// parallel_for (parallel_for.hpp): the fp64 reference of a 16K-token row set is tens of
// GFLOP, and the GPU machines have 16 cores.

// (outer, inner, row) triples to check: all when few, else the first, the last and random ones.
std::vector<std::tuple<int64_t, int64_t, int64_t>> pick_rows(int64_t outer, int64_t inner, int64_t rows,
                                                             int64_t max_rows, uint64_t seed) {
  std::vector<std::tuple<int64_t, int64_t, int64_t>> picked;
  if (outer * inner * rows <= max_rows) {
    for (int64_t a = 0; a < outer; ++a)
      for (int64_t b = 0; b < inner; ++b)
        for (int64_t r = 0; r < rows; ++r) picked.emplace_back(a, b, r);
    return picked;
  }
  picked.emplace_back(0, 0, 0);
  picked.emplace_back(outer - 1, inner - 1, rows - 1);
  std::mt19937_64 rng(seed);
  while (static_cast<int64_t>(picked.size()) < max_rows)
    picked.emplace_back(static_cast<int64_t>(rng() % outer), static_cast<int64_t>(rng() % inner),
                        static_cast<int64_t>(rng() % rows));
  return picked;
}

// Accumulates ‖got − ref‖² and ‖ref‖² for one tensor.
struct NormError {
  const char* name;
  double diff2 = 0, ref2 = 0;
  void add(double got, double ref) {
    diff2 += (got - ref) * (got - ref);
    ref2 += ref * ref;
  }
  double rel() const { return std::sqrt(diff2) / std::max(std::sqrt(ref2), 1e-30); }
};

// Every element finite? Poisoned (NaN) elements that no launch wrote fail here.
bool all_finite(const float* x, int64_t n, const char* name, std::string& detail) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) {
      detail = fmt::format("{}[{}] = {} (unwritten or non-finite)", name, i, x[i]);
      return false;
    }
  }
  return true;
}

VerifyResult finish(std::vector<NormError> errors, double tolerance, int64_t checked) {
  VerifyResult r;
  r.tolerance = tolerance;
  r.elements_checked = checked;
  r.passed = true;
  for (const auto& e : errors) {
    const double rel = e.rel();
    if (!(rel <= tolerance)) {  // NaN fails
      if (r.passed) r.detail = fmt::format("{}: relative error {:.3g} > tolerance {:.3g}", e.name, rel, tolerance);
      r.passed = false;
    }
    r.max_rel_error = std::isnan(rel) ? rel : std::max(r.max_rel_error, rel);
  }
  return r;
}

}  // namespace

double attention_tolerance(DType dtype) {
  switch (dtype) {
    case DType::BF16: return 1e-2;   // 8-bit mantissa: P and O rounded, ~2·2^-9
    case DType::FP16: return 3e-3;   // 11-bit mantissa
    default: return 1e-4;            // fp32 storage and arithmetic
  }
}

VerifyResult verify_attention_forward(const AttentionProblem& p, const AttentionHostTensors& t, double tolerance,
                                      int64_t max_rows) {
  VerifyResult bad;
  bad.tolerance = tolerance;
  if (!all_finite(t.o, p.q_elements(), "O", bad.detail) || !all_finite(t.lse, p.lse_elements(), "LSE", bad.detail))
    return bad;
  const auto rows = pick_rows(p.batch, p.heads, p.seq, max_rows, 0x6f7574);
  std::vector<std::vector<double>> o_ref(rows.size(), std::vector<double>(p.head_dim));
  std::vector<double> lse_ref(rows.size());
  parallel_for(static_cast<int64_t>(rows.size()), [&](int64_t n) {
    const auto [b, h, i] = rows[n];
    lse_ref[n] = reference_forward_row(p, t.q, t.k, t.v, b, h, i, o_ref[n].data());
  });
  NormError eo{"O"}, el{"LSE"};
  for (size_t n = 0; n < rows.size(); ++n) {
    const auto [b, h, i] = rows[n];
    for (int64_t c = 0; c < p.head_dim; ++c) eo.add(t.o[p.q_row(b, i, h) + c], o_ref[n][c]);
    el.add(t.lse[p.lse_at(b, h, i)], lse_ref[n]);
  }
  return finish({eo, el}, tolerance, static_cast<int64_t>(rows.size()) * (p.head_dim + 1));
}

VerifyResult verify_attention_backward(const AttentionProblem& p, const AttentionHostTensors& t, double tolerance,
                                       int64_t max_rows) {
  VerifyResult bad;
  bad.tolerance = tolerance;
  if (!all_finite(t.dq, p.q_elements(), "dQ", bad.detail) || !all_finite(t.dk, p.kv_elements(), "dK", bad.detail) ||
      !all_finite(t.dv, p.kv_elements(), "dV", bad.detail))
    return bad;
  NormError eq{"dQ"}, ek{"dK"}, ev{"dV"};
  int64_t checked = 0;

  // dQ rows: each needs only its own row's LSE and D.
  const auto qrows = pick_rows(p.batch, p.heads, p.seq, max_rows, 0x6471);
  std::vector<std::vector<double>> dq_ref(qrows.size(), std::vector<double>(p.head_dim));
  parallel_for(static_cast<int64_t>(qrows.size()), [&](int64_t n) {
    const auto [b, h, i] = qrows[n];
    std::vector<double> o(p.head_dim);
    const double lse = reference_forward_row(p, t.q, t.k, t.v, b, h, i, o.data());
    double d = 0;
    for (int64_t c = 0; c < p.head_dim; ++c) d += o[c] * t.dout[p.q_row(b, i, h) + c];
    reference_dq_row(p, t.q, t.k, t.v, t.dout, b, h, i, lse, d, dq_ref[n].data());
  });
  for (size_t n = 0; n < qrows.size(); ++n) {
    const auto [b, h, i] = qrows[n];
    for (int64_t c = 0; c < p.head_dim; ++c) eq.add(t.dq[p.q_row(b, i, h) + c], dq_ref[n][c]);
    checked += p.head_dim;
  }

  // dK/dV rows need the stats of every query row of their group: computed for the first and
  // the last (batch, kv head) only, which bounds the cost at two groups' forward passes.
  std::vector<std::pair<int64_t, int64_t>> groups{{0, 0}};
  if (p.batch > 1 || p.kv_heads > 1) groups.emplace_back(p.batch - 1, p.kv_heads - 1);
  const int64_t key_rows = std::max<int64_t>(1, max_rows / static_cast<int64_t>(groups.size()));
  for (const auto& [b, g] : groups) {
    const int64_t gs = p.group() * p.seq;
    std::vector<double> lse(gs), d(gs);
    parallel_for(gs, [&](int64_t n) {
      const int64_t h = g * p.group() + n / p.seq, i = n % p.seq;
      std::vector<double> o(p.head_dim);
      lse[n] = reference_forward_row(p, t.q, t.k, t.v, b, h, i, o.data());
      double dd = 0;
      for (int64_t c = 0; c < p.head_dim; ++c) dd += o[c] * t.dout[p.q_row(b, i, h) + c];
      d[n] = dd;
    });
    const auto krows = pick_rows(1, 1, p.seq, key_rows, 0x646b + static_cast<uint64_t>(b * 131 + g));
    std::vector<std::vector<double>> dk_ref(krows.size(), std::vector<double>(p.head_dim));
    std::vector<std::vector<double>> dv_ref(krows.size(), std::vector<double>(p.head_dim));
    parallel_for(static_cast<int64_t>(krows.size()), [&](int64_t n) {
      const int64_t j = std::get<2>(krows[n]);
      reference_dkdv_row(p, t.q, t.k, t.v, t.dout, b, g, j, lse.data(), d.data(), dk_ref[n].data(), dv_ref[n].data());
    });
    for (size_t n = 0; n < krows.size(); ++n) {
      const int64_t j = std::get<2>(krows[n]);
      for (int64_t c = 0; c < p.head_dim; ++c) {
        ek.add(t.dk[p.kv_row(b, j, g) + c], dk_ref[n][c]);
        ev.add(t.dv[p.kv_row(b, j, g) + c], dv_ref[n][c]);
      }
      checked += 2 * p.head_dim;
    }
  }
  return finish({eq, ek, ev}, tolerance, checked);
}

}  // namespace tb::kernels::cpu
