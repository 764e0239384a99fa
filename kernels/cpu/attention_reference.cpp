#include "kernels/cpu/attention_reference.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "harness/common/errors.hpp"

namespace tb::kernels::cpu {

AttentionProblem make_problem(const AttentionShape& s) {
  auto positive = [](int64_t v, const char* what) {
    if (v <= 0) throw UsageError(fmt::format("attention {} must be positive (got {})", what, v));
  };
  positive(s.batch, "batch");
  positive(s.heads, "heads");
  positive(s.kv_heads, "kv_heads");
  positive(s.seq, "seq");
  positive(s.head_dim, "head_dim");
  if (s.heads % s.kv_heads != 0)
    throw UsageError(fmt::format("attention heads ({}) must be a multiple of kv_heads ({})", s.heads, s.kv_heads));
  AttentionProblem p;
  p.batch = s.batch;
  p.heads = s.heads;
  p.kv_heads = s.kv_heads;
  p.seq = s.seq;
  p.head_dim = s.head_dim;
  p.causal = s.causal;
  p.softmax_scale = 1.0 / std::sqrt(static_cast<double>(s.head_dim));
  return p;
}

namespace {

double dot(const float* a, const float* b, int64_t n) {
  double acc = 0;
  for (int64_t c = 0; c < n; ++c) acc += static_cast<double>(a[c]) * static_cast<double>(b[c]);
  return acc;
}

// Keys row i may see: [0, i] when causal, else all.
int64_t key_end(const AttentionProblem& p, int64_t i) { return p.causal ? i + 1 : p.seq; }

}  // namespace

double reference_forward_row(const AttentionProblem& p, const float* q, const float* k, const float* v,
                             int64_t b, int64_t h, int64_t i, double* o_row) {
  const int64_t g = h / p.group();
  const int64_t end = key_end(p, i);
  const float* qi = q + p.q_row(b, i, h);
  std::vector<double> s(static_cast<size_t>(end));
  double mx = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < end; ++j) {
    s[j] = p.softmax_scale * dot(qi, k + p.kv_row(b, j, g), p.head_dim);
    mx = std::max(mx, s[j]);
  }
  double sum = 0;
  for (int64_t j = 0; j < end; ++j) sum += std::exp(s[j] - mx);
  std::fill(o_row, o_row + p.head_dim, 0.0);
  for (int64_t j = 0; j < end; ++j) {
    const double pij = std::exp(s[j] - mx) / sum;
    const float* vj = v + p.kv_row(b, j, g);
    for (int64_t c = 0; c < p.head_dim; ++c) o_row[c] += pij * vj[c];
  }
  return mx + std::log(sum);
}

void reference_row_stats(const AttentionProblem& p, const float* q, const float* k, const float* v,
                         const float* dout, int64_t b, int64_t h, double* lse_rows, double* d_rows) {
  std::vector<double> o(static_cast<size_t>(p.head_dim));
  for (int64_t i = 0; i < p.seq; ++i) {
    lse_rows[i] = reference_forward_row(p, q, k, v, b, h, i, o.data());
    const float* doi = dout + p.q_row(b, i, h);
    double d = 0;
    for (int64_t c = 0; c < p.head_dim; ++c) d += o[c] * doi[c];
    d_rows[i] = d;
  }
}

void reference_dq_row(const AttentionProblem& p, const float* q, const float* k, const float* v,
                      const float* dout, int64_t b, int64_t h, int64_t i, double lse, double d_term,
                      double* dq_row) {
  const int64_t g = h / p.group();
  const float* qi = q + p.q_row(b, i, h);
  const float* doi = dout + p.q_row(b, i, h);
  std::fill(dq_row, dq_row + p.head_dim, 0.0);
  for (int64_t j = 0; j < key_end(p, i); ++j) {
    const float* kj = k + p.kv_row(b, j, g);
    const double pij = std::exp(p.softmax_scale * dot(qi, kj, p.head_dim) - lse);
    const double ds = pij * (dot(doi, v + p.kv_row(b, j, g), p.head_dim) - d_term);
    for (int64_t c = 0; c < p.head_dim; ++c) dq_row[c] += p.softmax_scale * ds * kj[c];
  }
}

void reference_dkdv_row(const AttentionProblem& p, const float* q, const float* k, const float* v,
                        const float* dout, int64_t b, int64_t g, int64_t j, const double* lse,
                        const double* d, double* dk_row, double* dv_row) {
  const float* kj = k + p.kv_row(b, j, g);
  const float* vj = v + p.kv_row(b, j, g);
  std::fill(dk_row, dk_row + p.head_dim, 0.0);
  std::fill(dv_row, dv_row + p.head_dim, 0.0);
  for (int64_t r = 0; r < p.group(); ++r) {
    const int64_t h = g * p.group() + r;
    for (int64_t i = p.causal ? j : 0; i < p.seq; ++i) {
      const float* qi = q + p.q_row(b, i, h);
      const float* doi = dout + p.q_row(b, i, h);
      const double pij = std::exp(p.softmax_scale * dot(qi, kj, p.head_dim) - lse[r * p.seq + i]);
      const double ds = pij * (dot(doi, vj, p.head_dim) - d[r * p.seq + i]);
      for (int64_t c = 0; c < p.head_dim; ++c) {
        dv_row[c] += pij * doi[c];
        dk_row[c] += p.softmax_scale * ds * qi[c];
      }
    }
  }
}

void reference_forward(const AttentionProblem& p, const float* q, const float* k, const float* v,
                       std::vector<double>& o, std::vector<double>& lse) {
  o.assign(static_cast<size_t>(p.q_elements()), 0.0);
  lse.assign(static_cast<size_t>(p.lse_elements()), 0.0);
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.heads; ++h)
      for (int64_t i = 0; i < p.seq; ++i)
        lse[p.lse_at(b, h, i)] = reference_forward_row(p, q, k, v, b, h, i, &o[p.q_row(b, i, h)]);
}

void reference_backward(const AttentionProblem& p, const float* q, const float* k, const float* v,
                        const float* dout, std::vector<double>& dq, std::vector<double>& dk,
                        std::vector<double>& dv) {
  dq.assign(static_cast<size_t>(p.q_elements()), 0.0);
  dk.assign(static_cast<size_t>(p.kv_elements()), 0.0);
  dv.assign(static_cast<size_t>(p.kv_elements()), 0.0);
  const size_t group_rows = static_cast<size_t>(p.group() * p.seq);
  std::vector<double> lse(group_rows), d(group_rows);
  for (int64_t b = 0; b < p.batch; ++b) {
    for (int64_t g = 0; g < p.kv_heads; ++g) {
      for (int64_t r = 0; r < p.group(); ++r) {
        const int64_t h = g * p.group() + r;
        reference_row_stats(p, q, k, v, dout, b, h, &lse[r * p.seq], &d[r * p.seq]);
        for (int64_t i = 0; i < p.seq; ++i)
          reference_dq_row(p, q, k, v, dout, b, h, i, lse[r * p.seq + i], d[r * p.seq + i], &dq[p.q_row(b, i, h)]);
      }
      for (int64_t j = 0; j < p.seq; ++j)
        reference_dkdv_row(p, q, k, v, dout, b, g, j, lse.data(), d.data(), &dk[p.kv_row(b, j, g)],
                           &dv[p.kv_row(b, j, g)]);
    }
  }
}

}  // namespace tb::kernels::cpu
