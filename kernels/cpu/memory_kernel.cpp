// CPU memory-bound kernels: the fp32 math of kernels/common/memory_ops_math.hpp over fp32 or
// bf16 storage, a row at a time, in blocks that memory_loops.hpp's vectorized loops run over.
// They make `trainbench run --device cpu` complete and are the same functions the CUDA kernels
// call, so the CPU tests cover the GPU math too.
#include "kernels/cpu/memory_kernel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "harness/common/errors.hpp"
#include "kernels/common/float_formats.hpp"
#include "kernels/common/memory_ops_math.hpp"
#include "kernels/cpu/memory_loops.hpp"
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

// Rows are cut into blocks of this many elements (2 KiB of fp32 a tensor, in L1), converted to
// fp32 once where the storage is bf16, read and written in place where it is fp32.
constexpr int kBlock = 512;

// n stored values as fp32: the storage itself, or a converted copy in buf.
inline const float* as_floats(const float* p, int, float*) { return p; }
inline const float* as_floats(const Bf16* p, int n, float* buf) {
  for (int i = 0; i < n; ++i) buf[i] = bf16_to_float(p[i].bits);
  return buf;
}
// Where n fp32 outputs are computed: the storage itself, or buf, then rounded into it.
inline float* out_floats(float* p, float*) { return p; }
inline float* out_floats(Bf16*, float* buf) { return buf; }
inline void store_floats(const float*, int, float*) {}
inline void store_floats(const float* buf, int n, Bf16* p) {
  for (int i = 0; i < n; ++i) p[i].bits = float_to_bf16(buf[i]);
}

template <typename S>
class CpuMemoryKernel final : public Kernel {
 public:
  CpuMemoryKernel(const Op& op, const PrepareOptions& options)
      : op_(op),
        loops_(memory_loops()),
        spec_(memcheck::spec_for(op.kind)),
        rows_(op.memory.rows),
        cols_(op.memory.cols) {
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

  std::string algorithm() const override {
    return fmt::format("cpu fp32 math, rows in blocks of {}, {} loops", kBlock, loops_.isa);
  }

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

  // Runs fn(in, out, n, j) over row r cut into blocks of kBlock, in[t] the inputs' fp32 values
  // from column j on and out[o] where the outputs' go (written back after fn when kOutputs).
  template <bool kOutputs, typename Fn>
  void for_each_block(int64_t r, Fn fn) {
    alignas(64) float in_buf[3][kBlock];
    alignas(64) float out_buf[2][kBlock];
    const size_t base = static_cast<size_t>(r * cols_);
    for (int64_t j = 0; j < cols_; j += kBlock) {
      const int n = static_cast<int>(std::min<int64_t>(kBlock, cols_ - j));
      const size_t at = base + static_cast<size_t>(j);
      const float* in[3] = {};
      float* out[2] = {};
      for (int t = 0; t < spec_.inputs; ++t) in[t] = as_floats(in_[t].data() + at, n, in_buf[t]);
      if constexpr (kOutputs)
        for (int o = 0; o < spec_.outputs; ++o) out[o] = out_floats(out_[o].data() + at, out_buf[o]);
      fn(in, out, n, j);
      if constexpr (kOutputs)
        for (int o = 0; o < spec_.outputs; ++o) store_floats(out[o], n, out_[o].data() + at);
    }
  }
  template <typename Fn>
  void read_blocks(int64_t r, Fn fn) {
    for_each_block<false>(r, fn);
  }
  template <typename Fn>
  void write_blocks(int64_t r, Fn fn) {
    for_each_block<true>(r, fn);
  }

  void norm_forward_row(int64_t r, bool write_y) {
    const bool layer = op_.kind == OpKind::LayerNormForward || op_.kind == OpKind::LayerNormBackward;
    float mean = 0, rstd = 0;
    if (layer) {
      mo::MeanVar s;
      read_blocks(r, [&](const float* const* in, float* const*, int n, int64_t) {
        s = mo::combine(s, loops_.mean_var(in[0], n));
      });
      mean = s.mean;
      rstd = mo::rstd_of(s);
    } else {
      float sum_sq = 0;
      read_blocks(r, [&](const float* const* in, float* const*, int n, int64_t) {
        sum_sq += loops_.sum_of_squares(in[0], n);
      });
      rstd = mo::rmsnorm_rstd(sum_sq, static_cast<float>(cols_));
    }
    mean_[static_cast<size_t>(r)] = mean;
    rstd_[static_cast<size_t>(r)] = rstd;
    if (!write_y) return;
    write_blocks(r, [&](const float* const* in, float* const* out, int n, int64_t j) {
      if (layer) loops_.layernorm_forward(in[0], gamma_.data() + j, beta_.data() + j, mean, rstd, out[0], n);
      else loops_.rmsnorm_forward(in[0], gamma_.data() + j, rstd, out[0], n);
    });
  }

  void norm_backward_row(int64_t r) {
    const float mean = mean_[static_cast<size_t>(r)], rstd = rstd_[static_cast<size_t>(r)];
    const bool layer = op_.kind == OpKind::LayerNormBackward;
    mo::NormGradSums sums;
    read_blocks(r, [&](const float* const* in, float* const*, int n, int64_t j) {
      const mo::NormGradSums block =
          loops_.norm_grad_sums(in[0], in[1], gamma_.data() + j, layer ? mean : 0.0f, rstd, n);
      sums.g += block.g;
      sums.gx += block.gx;
    });
    const float cols = static_cast<float>(cols_);
    write_blocks(r, [&](const float* const* in, float* const* out, int n, int64_t j) {
      if (layer) loops_.layernorm_backward(in[0], in[1], gamma_.data() + j, mean, rstd, sums, cols, out[0], n);
      else loops_.rmsnorm_backward(in[0], in[1], gamma_.data() + j, rstd, sums, cols, out[0], n);
    });
  }

  void cross_entropy_row(int64_t r) {
    const size_t base = static_cast<size_t>(r * cols_);
    mo::OnlineSoftmax s;
    read_blocks(r, [&](const float* const* in, float* const*, int n, int64_t) {
      s = mo::combine(s, loops_.online_softmax(in[0], n));
    });
    const int64_t target = targets_[static_cast<size_t>(r)];
    const float z_target = x(0, base + static_cast<size_t>(target));
    loss_[static_cast<size_t>(r)] = mo::cross_entropy_loss(s, z_target);
    write_blocks(r, [&](const float* const* in, float* const* out, int n, int64_t j) {
      loops_.cross_entropy_grad(in[0], s, memcheck::kCrossEntropyDloss, out[0], n);
      if (target >= j && target < j + n)
        out[0][target - j] = mo::cross_entropy_grad(s, z_target, true, memcheck::kCrossEntropyDloss);
    });
  }

  void run_row(int64_t r) {
    // The op is chosen once a row, and each block runs one loop of one op: a switch inside the
    // element loop kept the compiler from vectorizing it.
    switch (op_.kind) {
      case OpKind::LayerNormForward:
      case OpKind::RmsNormForward: return norm_forward_row(r, true);
      case OpKind::LayerNormBackward:
      case OpKind::RmsNormBackward: return norm_backward_row(r);
      case OpKind::CrossEntropyForwardBackward: return cross_entropy_row(r);
      case OpKind::GeluForward:
        return write_blocks(r, [this](const float* const* in, float* const* out, int n, int64_t) {
          loops_.gelu_forward(in[0], out[0], n);
        });
      case OpKind::GeluBackward:
        return write_blocks(r, [this](const float* const* in, float* const* out, int n, int64_t) {
          loops_.gelu_backward(in[0], in[1], out[0], n);
        });
      case OpKind::SwiGluForward:
        return write_blocks(r, [this](const float* const* in, float* const* out, int n, int64_t) {
          loops_.swiglu_forward(in[0], in[1], out[0], n);
        });
      case OpKind::SwiGluBackward:
        return write_blocks(r, [this](const float* const* in, float* const* out, int n, int64_t) {
          loops_.swiglu_backward(in[0], in[1], in[2], out[0], out[1], n);
        });
      case OpKind::ResidualAdd:
        return write_blocks(r, [this](const float* const* in, float* const* out, int n, int64_t) {
          loops_.residual_add(in[0], in[1], out[0], n);
        });
      default: return;
    }
  }

  Op op_;
  const MemoryLoops& loops_;
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
