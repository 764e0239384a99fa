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

// AdamW in PyTorch's form (torch.optim.AdamW): the weight decayed first, w·(1 − lr·λ), then the
// step lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε); the same function as apex's fused form that
// memops::adamw_update computes, written another way. GPT-3's hyper-parameters; must equal
// memops' kAdam* constants.
inline constexpr double kAdamBeta1 = 0.9, kAdamBeta2 = 0.95, kAdamEpsilon = 1e-8, kAdamWeightDecay = 0.1,
                        kAdamLearningRate = 6e-5;
struct AdamResult {
  double w = 0, m = 0, v = 0;
};
// Step t counts from 1.
AdamResult adamw(double w, double m, double v, double g, int64_t step);

}  // namespace tb::kernels::memref
