#include "kernels/cpu/memory_op_check.hpp"

#include <fmt/format.h>

#include <cmath>
#include <span>

#include "harness/common/errors.hpp"
#include "kernels/cpu/memory_ops_reference.hpp"

namespace tb::kernels::memcheck {

MemoryOpSpec spec_for(OpKind kind) {
  MemoryOpSpec s;
  switch (kind) {
    case OpKind::LayerNormForward: s.gamma = s.beta = s.stats_out = true; break;
    case OpKind::RmsNormForward: s.gamma = s.stats_out = true; break;
    case OpKind::LayerNormBackward:
    case OpKind::RmsNormBackward: s.inputs = 2; s.gamma = s.stats_in = true; break;
    case OpKind::GeluForward: break;
    case OpKind::GeluBackward: s.inputs = 2; break;
    case OpKind::SwiGluForward: s.inputs = 2; break;
    case OpKind::SwiGluBackward: s.inputs = 3; s.outputs = 2; break;
    case OpKind::ResidualAdd: s.inputs = 2; break;
    case OpKind::CrossEntropyForwardBackward: s.cross_entropy = true; break;
    default:
      throw UsageError(fmt::format("op kind '{}' is not a memory-bound op; accepted: layernorm_fwd/bwd, "
                                   "rmsnorm_fwd/bwd, gelu_fwd/bwd, swiglu_fwd/bwd, residual_add, cross_entropy",
                                   to_string(kind)));
  }
  return s;
}

void validate(const Op& op) {
  spec_for(op.kind);
  if (op.memory.rows <= 0 || op.memory.cols <= 0)
    throw UsageError(fmt::format("op '{}' ({}): rows and cols must be positive (got {}x{})", op.name,
                                 to_string(op.kind), op.memory.rows, op.memory.cols));
}

FillRule fill_rule(OpKind kind, Tensor tensor, uint64_t seed) {
  const uint64_t s = seed * 0x100000001b3ull + static_cast<uint64_t>(tensor) * 0x9e3779b9ull + 1;
  switch (tensor) {
    case Tensor::Gamma: return {s, 1.0f, 0.25f};
    case Tensor::Beta: return {s, 0.0f, 0.25f};
    default: return {s, 0.0f, kind == OpKind::CrossEntropyForwardBackward ? 4.0f : 1.0f};
  }
}

double tolerance_for(DType storage) {
  switch (storage) {
    case DType::BF16: return 1.5e-2;
    case DType::FP16: return 2e-3;
    default: return 1e-4;
  }
}

namespace {

struct Checker {
  VerifyResult& r;
  int64_t row = 0;
  void check(const char* what, int64_t col, float got, double ref) {
    ++r.elements_checked;
    const double err = std::isfinite(got) ? std::abs(got - ref) / (std::abs(ref) + 1.0) : INFINITY;
    if (err > r.max_rel_error) r.max_rel_error = err;
    if (!(err <= r.tolerance) && r.passed) {
      r.passed = false;
      r.detail = fmt::format("{} at row {} col {}: got {}, reference {} (error {:.3g} > tolerance {:.3g})", what,
                             row, col, got, ref, err, r.tolerance);
    }
  }
};

std::vector<double> row_of(const std::vector<float>& v, int64_t row, int64_t cols) {
  const size_t start = static_cast<size_t>(row * cols);
  return {v.begin() + static_cast<std::ptrdiff_t>(start), v.begin() + static_cast<std::ptrdiff_t>(start + cols)};
}

}  // namespace

std::vector<int64_t> checked_rows(int64_t rows, int64_t max_rows) {
  const int64_t count = std::min(rows, std::max<int64_t>(max_rows, 2));
  std::vector<int64_t> ids;
  ids.reserve(static_cast<size_t>(std::max<int64_t>(count, 0)));
  for (int64_t i = 0; i < count; ++i) ids.push_back(count == rows ? i : i * (rows - 1) / (count - 1));
  return ids;
}

VerifyResult verify(OpKind kind, DType storage, const MemoryOpData& d, int64_t max_rows) {
  VerifyResult r;
  r.passed = true;
  r.tolerance = tolerance_for(storage);
  const int64_t n = d.cols;
  const std::vector<int64_t> rows = checked_rows(d.rows, max_rows);
  if (!d.held_rows.empty() && d.held_rows != rows) {
    r.passed = false;
    r.detail = fmt::format("the {} rows copied back are not the {} rows verification checks", d.held_rows.size(),
                           rows.size());
    return r;
  }
  const std::vector<double> gamma(d.gamma.begin(), d.gamma.end()), beta(d.beta.begin(), d.beta.end());
  std::vector<double> ref(static_cast<size_t>(n)), ref2(static_cast<size_t>(n));
  Checker c{r};
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t row = rows[i];  // the tensor's row, named in messages
    const int64_t held = d.held_rows.empty() ? row : static_cast<int64_t>(i);  // where the data hold it
    c.row = row;
    const auto x = row_of(d.in[0], held, n);
    const size_t base = static_cast<size_t>(held * n);
    auto out = [&](int o, int64_t j) { return d.out[o][base + static_cast<size_t>(j)]; };
    switch (kind) {
      case OpKind::LayerNormForward: {
        const auto s = memref::layernorm_forward(x, gamma, beta, ref);
        c.check("mean", 0, d.mean_out[static_cast<size_t>(held)], s.mean);
        c.check("rstd", 0, d.rstd_out[static_cast<size_t>(held)] / static_cast<float>(s.rstd), 1.0);
        break;
      }
      case OpKind::RmsNormForward: {
        const double rstd = memref::rmsnorm_forward(x, gamma, ref);
        c.check("rstd", 0, d.rstd_out[static_cast<size_t>(held)] / static_cast<float>(rstd), 1.0);
        break;
      }
      case OpKind::LayerNormBackward: memref::layernorm_backward(x, row_of(d.in[1], held, n), gamma, ref); break;
      case OpKind::RmsNormBackward: memref::rmsnorm_backward(x, row_of(d.in[1], held, n), gamma, ref); break;
      case OpKind::GeluForward:
        for (int64_t j = 0; j < n; ++j) ref[j] = memref::gelu_forward(x[j]);
        break;
      case OpKind::GeluBackward:
        for (int64_t j = 0; j < n; ++j) ref[j] = memref::gelu_backward(x[j], d.in[1][base + j]);
        break;
      case OpKind::SwiGluForward:
        for (int64_t j = 0; j < n; ++j) ref[j] = memref::swiglu_forward(x[j], d.in[1][base + j]);
        break;
      case OpKind::SwiGluBackward:
        for (int64_t j = 0; j < n; ++j)
          memref::swiglu_backward(x[j], d.in[1][base + j], d.in[2][base + j], ref[j], ref2[j]);
        break;
      case OpKind::ResidualAdd:
        for (int64_t j = 0; j < n; ++j) ref[j] = static_cast<double>(x[j]) + d.in[1][base + j];
        break;
      case OpKind::CrossEntropyForwardBackward: {
        const double loss = memref::cross_entropy(x, d.targets[static_cast<size_t>(held)], kCrossEntropyDloss, ref);
        c.check("loss", 0, d.loss[static_cast<size_t>(held)], loss);
        break;
      }
      default: spec_for(kind);  // throws
    }
    for (int64_t j = 0; j < n; ++j) c.check("output", j, out(0, j), ref[static_cast<size_t>(j)]);
    if (kind == OpKind::SwiGluBackward)
      for (int64_t j = 0; j < n; ++j) c.check("dup", j, out(1, j), ref2[static_cast<size_t>(j)]);
  }
  if (r.passed)
    r.detail = fmt::format("{} rows of {} checked against the fp64 reference", rows.size(), d.rows);
  return r;
}

}  // namespace tb::kernels::memcheck
