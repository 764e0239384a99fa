#include "kernels/cpu/memory_ops_reference.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace tb::kernels::memref {
namespace {

double mean_of(std::span<const double> v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

}  // namespace

RowStats layernorm_forward(std::span<const double> x, std::span<const double> gamma,
                           std::span<const double> beta, std::span<double> y) {
  const double mean = mean_of(x);
  double var = 0;
  for (double v : x) var += (v - mean) * (v - mean);
  var /= static_cast<double>(x.size());
  const double rstd = 1.0 / std::sqrt(var + kEpsilon);
  for (size_t i = 0; i < x.size(); ++i) y[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
  return {mean, rstd};
}

// Derived from y = γ·(x − μ)/σ: ∂L/∂x_i = (1/σ)·(g_i − (1/n)Σg − x̂_i·(1/n)Σg·x̂).
void layernorm_backward(std::span<const double> x, std::span<const double> dy, std::span<const double> gamma,
                        std::span<double> dx) {
  std::vector<double> scratch(x.size());
  const RowStats s = layernorm_forward(x, gamma, gamma, scratch);
  const double n = static_cast<double>(x.size());
  double sum_g = 0, sum_gx = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double g = dy[i] * gamma[i];
    sum_g += g;
    sum_gx += g * (x[i] - s.mean) * s.rstd;
  }
  for (size_t i = 0; i < x.size(); ++i) {
    const double xhat = (x[i] - s.mean) * s.rstd;
    dx[i] = s.rstd * (dy[i] * gamma[i] - sum_g / n - xhat * sum_gx / n);
  }
}

double rmsnorm_forward(std::span<const double> x, std::span<const double> gamma, std::span<double> y) {
  double ms = 0;
  for (double v : x) ms += v * v;
  ms /= static_cast<double>(x.size());
  const double rstd = 1.0 / std::sqrt(ms + kEpsilon);
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * rstd * gamma[i];
  return rstd;
}

void rmsnorm_backward(std::span<const double> x, std::span<const double> dy, std::span<const double> gamma,
                      std::span<double> dx) {
  std::vector<double> scratch(x.size());
  const double rstd = rmsnorm_forward(x, gamma, scratch);
  const double n = static_cast<double>(x.size());
  double sum_gx = 0;
  for (size_t i = 0; i < x.size(); ++i) sum_gx += dy[i] * gamma[i] * x[i] * rstd;
  for (size_t i = 0; i < x.size(); ++i) dx[i] = rstd * (dy[i] * gamma[i] - x[i] * rstd * sum_gx / n);
}

double gelu_forward(double x) {
  const double c = std::sqrt(2.0 / std::numbers::pi);
  return 0.5 * x * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x)));
}

// d/dx of 0.5·x·(1 + tanh(u)), u = c·(x + a·x³): 0.5·(1 + tanh u) + 0.5·x·sech²(u)·c·(1 + 3a·x²).
double gelu_backward(double x, double dy) {
  const double c = std::sqrt(2.0 / std::numbers::pi);
  const double u = c * (x + 0.044715 * x * x * x);
  const double sech = 1.0 / std::cosh(u);
  return dy * (0.5 * (1.0 + std::tanh(u)) + 0.5 * x * sech * sech * c * (1.0 + 3.0 * 0.044715 * x * x));
}

double swiglu_forward(double gate, double up) { return gate / (1.0 + std::exp(-gate)) * up; }

// silu'(g) = σ(g) + g·σ(g)·(1 − σ(g)).
void swiglu_backward(double gate, double up, double dh, double& dgate, double& dup) {
  const double s = 1.0 / (1.0 + std::exp(-gate));
  dgate = dh * up * (s + gate * s * (1.0 - s));
  dup = dh * gate * s;
}

double cross_entropy(std::span<const double> z, int64_t target, double dloss, std::span<double> dz) {
  const double m = *std::max_element(z.begin(), z.end());
  double sum = 0;
  for (double v : z) sum += std::exp(v - m);
  for (size_t j = 0; j < z.size(); ++j)
    dz[j] = dloss * (std::exp(z[j] - m) / sum - (static_cast<int64_t>(j) == target ? 1.0 : 0.0));
  return -(z[static_cast<size_t>(target)] - m - std::log(sum));
}

AdamResult adamw(double w, double m, double v, double g, int64_t step) {
  const double t = static_cast<double>(step);
  AdamResult r;
  r.m = kAdamBeta1 * m + (1.0 - kAdamBeta1) * g;
  r.v = kAdamBeta2 * v + (1.0 - kAdamBeta2) * g * g;
  const double decayed = w * (1.0 - kAdamLearningRate * kAdamWeightDecay);
  const double step_size = kAdamLearningRate / (1.0 - std::pow(kAdamBeta1, t));
  const double denom = std::sqrt(r.v) / std::sqrt(1.0 - std::pow(kAdamBeta2, t)) + kAdamEpsilon;
  r.w = decayed - step_size * r.m / denom;
  return r;
}

}  // namespace tb::kernels::memref
