#include "kernels/cpu/fp8_cast_kernel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "harness/common/errors.hpp"
#include "kernels/common/float_formats.hpp"
#include "kernels/common/fp8_cast_tile.hpp"
#include "kernels/common/fp8_format.hpp"
#include "kernels/common/memory_ops_math.hpp"
#include "kernels/cpu/fp8_cast_check.hpp"
#include "kernels/cpu/memory_op_check.hpp"
#include "kernels/cpu/parallel_for.hpp"

namespace tb::kernels::cpu {
namespace {

class CpuFp8CastKernel final : public Kernel {
 public:
  CpuFp8CastKernel(const Op& op, const PrepareOptions& options)
      : rows_(op.memory.rows), cols_(op.memory.cols), format_(op.cast_format), scale_(fp8cast::scale_for(format_)),
        x_(static_cast<size_t>(rows_ * cols_)),
        y_(x_.size(), 0xff), yt_(x_.size(), 0xff), row_amax_(static_cast<size_t>(rows_), 0.0f) {
    const auto rule = memcheck::fill_rule(op.kind, memcheck::Tensor::In0, options.seed);
    for (size_t i = 0; i < x_.size(); ++i)
      x_[i] = float_to_bf16(rule.offset + rule.scale * memops::hash_uniform(rule.seed, i));
  }

  void launch() override {
    parallel_for(rows_, [this](int64_t r) {
      float m = 0;
      for (int64_t c = 0; c < cols_; ++c) {
        const float v = bf16_to_float(x_[static_cast<size_t>(fp8cast::y_index(r, c, cols_))]);
        m = std::max(m, std::fabs(v));
        const uint8_t q = float_to_fp8(v * scale_, format_);
        y_[static_cast<size_t>(fp8cast::y_index(r, c, cols_))] = q;
        yt_[static_cast<size_t>(fp8cast::yt_index(r, c, rows_))] = q;
      }
      row_amax_[static_cast<size_t>(r)] = m;
    });
    amax_ = *std::max_element(row_amax_.begin(), row_amax_.end());
  }

  VerifyResult verify() override {
    std::vector<float> x(x_.size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = bf16_to_float(x_[i]);
    return fp8cast::verify(rows_, cols_, format_, x, y_, yt_, amax_);
  }

  double bytes_allocated() const override { return static_cast<double>(x_.size()) * 4.0 + 4.0 * rows_; }
  std::string algorithm() const override {
    return fmt::format("cpu cast to fp8 {} (scale {:g}) and transpose, one row at a time", to_string(format_), scale_);
  }
  void corrupt_output_for_testing() override { y_[static_cast<size_t>(cols_ / 2)] ^= 0x01; }

 private:
  int64_t rows_, cols_;
  Fp8Format format_;
  float scale_;
  std::vector<uint16_t> x_;  // bf16 bits
  std::vector<uint8_t> y_, yt_;
  std::vector<float> row_amax_;
  float amax_ = -1;
};

}  // namespace

std::unique_ptr<Kernel> make_fp8_cast_kernel(const Op& op, const PrepareOptions& options) {
  fp8cast::validate(op);
  return std::make_unique<CpuFp8CastKernel>(op, options);
}

}  // namespace tb::kernels::cpu
