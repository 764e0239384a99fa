#include "kernels/common/gemm_reference.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "harness/common/errors.hpp"
#include "kernels/cpu/parallel_for.hpp"

namespace tb::kernels {

ReferenceElement gemm_reference_element(const GemmOperands& g, int64_t i, int64_t j) {
  const int64_t m = g.shape.m, n = g.shape.n, k = g.shape.k;
  const bool ta = transposes_a(g.shape.layout), tb = transposes_b(g.shape.layout);
  ReferenceElement r;
  for (int64_t p = 0; p < k; ++p) {
    const double a = g.a[static_cast<size_t>(ta ? p * m + i : i * k + p)];
    const double b = g.b[static_cast<size_t>(tb ? j * k + p : p * n + j)];
    r.value += a * b;
    r.abs_sum += std::fabs(a * b);
  }
  return r;
}

std::vector<std::pair<int64_t, int64_t>> gemm_check_positions(int64_t m, int64_t n, int64_t max_elements,
                                                              uint64_t seed) {
  std::vector<std::pair<int64_t, int64_t>> pos;
  if (m <= 0 || n <= 0) return pos;
  if (static_cast<double>(m) * static_cast<double>(n) <= static_cast<double>(max_elements)) {
    pos.reserve(static_cast<size_t>(m * n));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) pos.emplace_back(i, j);
    return pos;
  }
  // Corners catch edge-tile bugs (the last partial tile is where kernels go wrong).
  pos = {{0, 0}, {0, n - 1}, {m - 1, 0}, {m - 1, n - 1}};
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> ri(0, m - 1), rj(0, n - 1);
  while (static_cast<int64_t>(pos.size()) < max_elements) pos.emplace_back(ri(rng), rj(rng));
  return pos;
}

namespace {

// Unit roundoffs (2^-p for p significand bits incl. the implicit one).
struct Roundoffs {
  double out;  // storing C in the output format (bf16/fp16 GEMMs write bf16/fp16)
  double in;   // inputs rounded inside the kernel beyond what it was given (tf32)
  double acc;  // one accumulation step
};

Roundoffs roundoffs(DType dtype) {
  const double u32 = std::ldexp(1.0, -24);
  switch (dtype) {
    case DType::FP64: return {std::ldexp(1.0, -53), 0, std::ldexp(1.0, -53)};
    case DType::FP32: return {u32, 0, u32};
    // Tensor cores round both fp32 operands to tf32 (11 significant bits): 2·2^-11 per product.
    case DType::TF32: return {u32, std::ldexp(1.0, -10), u32};
    case DType::BF16: return {std::ldexp(1.0, -8), 0, u32};
    case DType::FP16: return {std::ldexp(1.0, -11), 0, u32};
    // Hopper's fp8 tensor cores keep about 14 bits in their accumulator (DeepSeek-V3 technical
    // report, §3.3.2), and fp8 GEMMs write bf16.
    case DType::FP8: return {std::ldexp(1.0, -8), 0, std::ldexp(1.0, -14)};
  }
  return {u32, 0, u32};
}

}  // namespace

double gemm_tolerance(DType dtype, int64_t k) {
  const Roundoffs u = roundoffs(dtype);
  // Probabilistic rounding-error bound for a length-k dot product: |error| <~ λ·√k·u·Σ|a·b|
  // with high probability (Higham & Mary 2019, "A new approach to probabilistic rounding error
  // analysis", Thm 3.1); λ = 4 leaves room for blocked summation orders. The output rounding
  // and any input rounding inside the kernel add their unit roundoffs (twice, for margin).
  const double tol = 2 * u.out + 2 * u.in + 4 * std::sqrt(static_cast<double>(std::max<int64_t>(k, 1))) * u.acc;
  return std::max(tol, 1e-12);
}

namespace {

// `c_at(p, i, j)`: C[i][j], the p-th of the positions checked. `c_complete`: C holds what the
// caller says (all M x N, or a value per position).
template <typename CAt>
VerifyResult verify_impl(const GemmOperands& g, bool c_complete, CAt c_at, DType dtype, const GemmCheckOptions& o) {
  const auto& s = g.shape;
  VerifyResult v;
  v.tolerance = gemm_tolerance(dtype, s.k);
  if (!c_complete || static_cast<double>(g.a.size()) < static_cast<double>(s.m) * s.k ||
      static_cast<double>(g.b.size()) < static_cast<double>(s.k) * s.n) {
    v.detail = fmt::format("buffer sizes do not match {}x{}x{}", s.m, s.n, s.k);
    return v;
  }
  // The fp64 dot products are the check's cost: 8192 of length k, B read down a column (half a
  // second per group at k 4096, n 28672 on one core). They run on every host core; the verdict
  // below walks them in order, so it names the same first worst element as a serial loop.
  const auto positions = gemm_check_positions(s.m, s.n, o.max_elements, o.seed);
  std::vector<ReferenceElement> refs(positions.size());
  cpu::parallel_for(static_cast<int64_t>(positions.size()), [&](int64_t q) {
    const auto at = static_cast<size_t>(q);
    refs[at] = gemm_reference_element(g, positions[at].first, positions[at].second);
  });
  double worst = -1;
  for (size_t p = 0; p < positions.size(); ++p) {
    const auto [i, j] = positions[p];
    const double got = c_at(p, i, j);
    const ReferenceElement& ref = refs[p];
    ++v.elements_checked;
    if (!std::isfinite(got)) {
      v.max_rel_error = INFINITY;
      v.detail = fmt::format("C[{}][{}] = {} (not finite; reference {:.6g})", i, j, got, ref.value);
      return v;
    }
    const double denom = std::fabs(ref.value) + ref.abs_sum;
    const double err = denom > 0 ? std::fabs(got - ref.value) / denom : (got == 0 ? 0.0 : INFINITY);
    if (err > worst) {
      worst = err;
      v.max_rel_error = err;
      if (err > v.tolerance)
        v.detail = fmt::format("C[{}][{}] = {:.9g}, reference {:.9g} (relative error {:.3g} > tolerance {:.3g})", i,
                               j, got, ref.value, err, v.tolerance);
    }
  }
  v.passed = v.max_rel_error <= v.tolerance;
  return v;
}

template <typename T>
VerifyResult verify_whole(const GemmOperands& g, std::span<const T> c, DType dtype, const GemmCheckOptions& o) {
  const bool complete = static_cast<double>(c.size()) >= static_cast<double>(g.shape.m) * static_cast<double>(g.shape.n);
  const int64_t n = g.shape.n;
  return verify_impl(
      g, complete, [&](size_t, int64_t i, int64_t j) { return static_cast<double>(c[static_cast<size_t>(i * n + j)]); },
      dtype, o);
}

}  // namespace

VerifyResult verify_gemm(const GemmOperands& g, std::span<const float> c, DType dtype, const GemmCheckOptions& o) {
  return verify_whole(g, c, dtype, o);
}
VerifyResult verify_gemm(const GemmOperands& g, std::span<const double> c, DType dtype, const GemmCheckOptions& o) {
  return verify_whole(g, c, dtype, o);
}

std::vector<int64_t> gemm_check_indices(const GemmShape& shape, const GemmCheckOptions& o) {
  std::vector<int64_t> indices;
  for (const auto& [i, j] : gemm_check_positions(shape.m, shape.n, o.max_elements, o.seed))
    indices.push_back(i * shape.n + j);
  return indices;
}

VerifyResult verify_gemm_at(const GemmOperands& g, std::span<const float> c_at_positions, DType dtype,
                            const GemmCheckOptions& o) {
  const bool complete = c_at_positions.size() == gemm_check_indices(g.shape, o).size();
  return verify_impl(
      g, complete, [&](size_t p, int64_t, int64_t) { return static_cast<double>(c_at_positions[p]); }, dtype, o);
}

void validate_gemm_shape(const GemmShape& shape) {
  const std::pair<const char*, int64_t> dims[] = {
      {"-m", shape.m}, {"-n", shape.n}, {"-k", shape.k}, {"--batch", shape.batch}};
  for (const auto& [flag, value] : dims)
    if (value <= 0) throw UsageError(fmt::format("{} must be a positive integer (got {})", flag, value));
}

std::vector<int64_t> gemm_check_groups(int64_t batch) {
  std::vector<int64_t> groups = {0};
  if (batch > 2) groups.push_back(batch / 2);
  if (batch > 1) groups.push_back(batch - 1);
  return groups;
}

VerifyResult verify_gemm_groups(int64_t batch, const std::function<VerifyResult(int64_t group)>& check) {
  if (batch == 1) return check(0);
  VerifyResult all;
  all.passed = true;
  for (const int64_t g : gemm_check_groups(batch)) {
    const VerifyResult one = check(g);
    all.max_rel_error = std::max(all.max_rel_error, one.max_rel_error);
    all.tolerance = one.tolerance;
    all.elements_checked += one.elements_checked;
    if (!one.passed && all.passed) all.detail = fmt::format("group {} of {}: {}", g, batch, one.detail);
    all.passed = all.passed && one.passed;
  }
  return all;
}

}  // namespace tb::kernels
