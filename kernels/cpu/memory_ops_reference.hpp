#pragma once
// fp64 references for the memory-bound ops, written independently of memory_ops_math.hpp:
// two-pass mean/variance instead of Welford, two-pass max-subtracted softmax instead of the
// online one, the GeLU/SwiGLU derivatives expanded by hand. Tests compare both the fp32 kernels
// and finite differences against these. One row (cols values) per call.
#include <cstdint>
#include <span>

namespace tb::kernels::memref {

inline constexpr double kEpsilon = 1e-5;  // must equal memops::kNormEpsilon

struct RowStats {
  double mean = 0;
  double rstd = 0;
};

RowStats layernorm_forward(std::span<const double> x, std::span<const double> gamma,
                           std::span<const double> beta, std::span<double> y);
void layernorm_backward(std::span<const double> x, std::span<const double> dy, std::span<const double> gamma,
                        std::span<double> dx);
double rmsnorm_forward(std::span<const double> x, std::span<const double> gamma, std::span<double> y);  // rstd
void rmsnorm_backward(std::span<const double> x, std::span<const double> dy, std::span<const double> gamma,
                      std::span<double> dx);
double gelu_forward(double x);
double gelu_backward(double x, double dy);
double swiglu_forward(double gate, double up);
void swiglu_backward(double gate, double up, double dh, double& dgate, double& dup);
// Returns the loss of the row; dz gets dloss·(softmax − onehot(target)).
double cross_entropy(std::span<const double> z, int64_t target, double dloss, std::span<double> dz);

}  // namespace tb::kernels::memref
