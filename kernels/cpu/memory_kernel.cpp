// CPU memory-bound kernels: the fp32 math of kernels/common/memory_ops_math.hpp over fp32 or
// bf16 storage, one row at a time. They make `trainbench run --device cpu` complete and are the
// same functions the CUDA kernels call, so the CPU tests cover the GPU math too.
#include "kernels/cpu/memory_kernel.hpp"

#include <fmt/format.h>

#include <vector>

#include "harness/common/errors.hpp"
#include "kernels/common/float_formats.hpp"
#include "kernels/common/memory_ops_math.hpp"
#include "kernels/cpu/memory_op_check.hpp"
#include "kernels/cpu/parallel_for.hpp"

namespace tb::kernels::cpu {
namespace {

namespace mo = memops;

// bf16 storage (float_formats.hpp rounds to nearest even, as __float2bfloat16 does).
struct Bf16 {
  uint16_t bits;
};
inline float to_float(float v) { return v; }
inline float to_float(Bf16 v) { return bf16_to_float(v.bits); }
template <typename S>
S from_float(float f);
template <>
float from_float<float>(float f) { return f; }
template <>
Bf16 from_float<Bf16>(float f) { return {float_to_bf16(f)}; }

template <typename S>
class CpuMemoryKernel final : public Kernel {
 public:
  CpuMemoryKernel(const Op& op, const PrepareOptions& options)
      : op_(op), spec_(memcheck::spec_for(op.kind)), rows_(op.memory.rows), cols_(op.memory.cols) {
    const size_t elems = static_cast<size_t>(rows_ * cols_);
    for (int t = 0; t < spec_.inputs; ++t) in_[t] = filled(memcheck::Tensor(t), elems, options.seed);
    for (int t = 0; t < spec_.outputs; ++t) out_[t].assign(elems, from_float<S>(0));
    if (spec_.gamma) gamma_ = floats(memcheck::Tensor::Gamma, static_cast<size_t>(cols_), options.seed);
    if (spec_.beta) beta_ = floats(memcheck::Tensor::Beta, static_cast<size_t>(cols_), options.seed);
    if (spec_.stats_in || spec_.stats_out) {
      mean_.assign(static_cast<size_t>(rows_), 0.0f);
      rstd_.assign(static_cast<size_t>(rows_), 0.0f);
    }
    if (spec_.stats_in) {
      // The backward reads the statistics its forward saved; compute them once here.
      if (!spec_.beta) beta_.assign(static_cast<size_t>(cols_), 0.0f);
      for (int64_t r = 0; r < rows_; ++r) norm_forward_row(r, /*write_y=*/false);
    }
    if (spec_.cross_entropy) {
      targets_.resize(static_cast<size_t>(rows_));
      for (int64_t r = 0; r < rows_; ++r) targets_[static_cast<size_t>(r)] = mo::hash_target(options.seed, r, cols_);
      loss_.assign(static_cast<size_t>(rows_), 0.0f);
    }
  }

  void launch() override {
    // Rows are independent; one thread per core, as OpenBLAS uses for the GEMMs beside them.
    parallel_for(rows_, [this](int64_t r) { run_row(r); });
  }

  VerifyResult verify() override {
    memcheck::MemoryOpData d;
    d.rows = rows_;
    d.cols = cols_;
    for (int t = 0; t < 3; ++t) d.in[t] = to_floats(in_[t]);
    for (int t = 0; t < 2; ++t) d.out[t] = to_floats(out_[t]);
    d.gamma = gamma_;
    d.beta = beta_;
    d.mean_out = mean_;
    d.rstd_out = rstd_;
    d.loss = loss_;
    d.targets = targets_;
    return memcheck::verify(op_.kind, op_.dtype == DType::BF16 ? DType::BF16 : DType::FP32, d);
  }

  double bytes_allocated() const override {
    double b = 0;
    for (const auto& v : in_) b += static_cast<double>(v.size() * sizeof(S));
    for (const auto& v : out_) b += static_cast<double>(v.size() * sizeof(S));
    b += 4.0 * static_cast<double>(gamma_.size() + beta_.size() + mean_.size() + rstd_.size() + loss_.size());
    return b + 8.0 * static_cast<double>(targets_.size());
  }

  std::string algorithm() const override { return "cpu fp32 math, one row at a time"; }

  void corrupt_output_for_testing() override {
    // Row 0 is always among the checked rows.
    auto& v = out_[0][static_cast<size_t>(cols_ / 2)];
    v = from_float<S>(to_float(v) + 1000.0f);
  }

 private:
  std::vector<S> filled(memcheck::Tensor t, size_t n, uint64_t seed) const {
    const auto rule = memcheck::fill_rule(op_.kind, t, seed);
    std::vector<S> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = from_float<S>(rule.offset + rule.scale * mo::hash_uniform(rule.seed, i));
    return v;
  }
  std::vector<float> floats(memcheck::Tensor t, size_t n, uint64_t seed) const {
    const auto rule = memcheck::fill_rule(op_.kind, t, seed);
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = rule.offset + rule.scale * mo::hash_uniform(rule.seed, i);
    return v;
  }
  static std::vector<float> to_floats(const std::vector<S>& v) {
    std::vector<float> f(v.size());
    for (size_t i = 0; i < v.size(); ++i) f[i] = to_float(v[i]);
    return f;
  }

  float x(int t, size_t i) const { return to_float(in_[t][i]); }

  void norm_forward_row(int64_t r, bool write_y) {
    const size_t base = static_cast<size_t>(r * cols_);
    const bool layer = op_.kind == OpKind::LayerNormForward || op_.kind == OpKind::LayerNormBackward;
    float mean = 0, rstd = 0;
    if (layer) {
      mo::MeanVar s;
      for (int64_t j = 0; j < cols_; ++j) mo::update(s, x(0, base + j));
      mean = s.mean;
      rstd = mo::rstd_of(s);
    } else {
      float sum_sq = 0;
      for (int64_t j = 0; j < cols_; ++j) sum_sq += x(0, base + j) * x(0, base + j);
      rstd = mo::rmsnorm_rstd(sum_sq, static_cast<float>(cols_));
    }
    mean_[static_cast<size_t>(r)] = mean;
    rstd_[static_cast<size_t>(r)] = rstd;
    if (!write_y) return;
    for (int64_t j = 0; j < cols_; ++j)
      out_[0][base + j] = from_float<S>(layer ? mo::layernorm_forward(x(0, base + j), mean, rstd, gamma_[j], beta_[j])
                                              : mo::rmsnorm_forward(x(0, base + j), rstd, gamma_[j]));
  }

  void norm_backward_row(int64_t r) {
    const size_t base = static_cast<size_t>(r * cols_);
    const float mean = mean_[static_cast<size_t>(r)], rstd = rstd_[static_cast<size_t>(r)];
    const bool layer = op_.kind == OpKind::LayerNormBackward;
    float sum_g = 0, sum_gx = 0;
    for (int64_t j = 0; j < cols_; ++j) {
      const float g = x(1, base + j) * gamma_[j];
      sum_g += g;
      sum_gx += g * (x(0, base + j) - (layer ? mean : 0.0f)) * rstd;
    }
    const float n = static_cast<float>(cols_);
    for (int64_t j = 0; j < cols_; ++j)
      out_[0][base + j] = from_float<S>(
          layer ? mo::layernorm_backward(x(0, base + j), x(1, base + j), mean, rstd, gamma_[j], sum_g, sum_gx, n)
                : mo::rmsnorm_backward(x(0, base + j), x(1, base + j), rstd, gamma_[j], sum_gx, n));
  }

  void cross_entropy_row(int64_t r) {
    const size_t base = static_cast<size_t>(r * cols_);
    mo::OnlineSoftmax s;
    for (int64_t j = 0; j < cols_; ++j) mo::update(s, x(0, base + j));
    const int64_t target = targets_[static_cast<size_t>(r)];
    loss_[static_cast<size_t>(r)] = mo::cross_entropy_loss(s, x(0, base + target));
    for (int64_t j = 0; j < cols_; ++j)
      out_[0][base + j] = from_float<S>(mo::cross_entropy_grad(s, x(0, base + j), j == target, memcheck::kCrossEntropyDloss));
  }

  void run_row(int64_t r) {
    const size_t base = static_cast<size_t>(r * cols_);
    switch (op_.kind) {
      case OpKind::LayerNormForward:
      case OpKind::RmsNormForward: norm_forward_row(r, true); return;
      case OpKind::LayerNormBackward:
      case OpKind::RmsNormBackward: norm_backward_row(r); return;
      case OpKind::CrossEntropyForwardBackward: cross_entropy_row(r); return;
      default: break;
    }
    for (int64_t j = 0; j < cols_; ++j) {
      const size_t i = base + static_cast<size_t>(j);
      switch (op_.kind) {
        case OpKind::GeluForward: out_[0][i] = from_float<S>(mo::gelu_forward(x(0, i))); break;
        case OpKind::GeluBackward: out_[0][i] = from_float<S>(mo::gelu_backward(x(0, i), x(1, i))); break;
        case OpKind::SwiGluForward: out_[0][i] = from_float<S>(mo::swiglu_forward(x(0, i), x(1, i))); break;
        case OpKind::SwiGluBackward: {
          const auto g = mo::swiglu_backward(x(0, i), x(1, i), x(2, i));
          out_[0][i] = from_float<S>(g.dgate);
          out_[1][i] = from_float<S>(g.dup);
          break;
        }
        case OpKind::ResidualAdd: out_[0][i] = from_float<S>(mo::residual_add(x(0, i), x(1, i))); break;
        default: break;
      }
    }
  }

  Op op_;
  memcheck::MemoryOpSpec spec_;
  int64_t rows_, cols_;
  std::vector<S> in_[3], out_[2];
  std::vector<float> gamma_, beta_, mean_, rstd_, loss_;
  std::vector<int64_t> targets_;
};

}  // namespace

std::unique_ptr<Kernel> make_memory_kernel(const Op& op, const PrepareOptions& options) {
  memcheck::validate(op);
  switch (op.dtype) {
    case DType::FP32:
    case DType::TF32: return std::make_unique<CpuMemoryKernel<float>>(op, options);
    case DType::BF16: return std::make_unique<CpuMemoryKernel<Bf16>>(op, options);
    default:
      throw UnsupportedError(fmt::format("op '{}' ({}): the CPU memory-bound kernels store fp32, tf32 or bf16, not {}",
                                         op.name, to_string(op.kind), to_string(op.dtype)));
  }
}

}  // namespace tb::kernels::cpu
