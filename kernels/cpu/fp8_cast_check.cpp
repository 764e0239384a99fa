#include "kernels/cpu/fp8_cast_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "harness/common/errors.hpp"
#include "kernels/common/fp8_cast_tile.hpp"
#include "kernels/common/fp8_format.hpp"

namespace tb::kernels::fp8cast {

void validate(const Op& op) {
  if (op.memory.rows <= 0 || op.memory.cols <= 0)
    throw UsageError(fmt::format("op '{}' ({}): rows and cols must be positive (got {}x{})", op.name,
                                 to_string(op.kind), op.memory.rows, op.memory.cols));
  if (op.dtype != DType::BF16)
    throw UnsupportedError(fmt::format("op '{}' {}: the fp8 cast reads bf16 (Transformer Engine's activations), not {}",
                                       op.name, op.shape_string(), to_string(op.dtype)));
  constexpr int64_t kMaxColumnTiles = 65535;
  if ((op.memory.cols + kTile - 1) / kTile > kMaxColumnTiles)
    throw UnsupportedError(fmt::format("op '{}' {}: more than {} columns ({} tiles of {}, the CUDA grid's y limit)",
                                       op.name, op.shape_string(), kMaxColumnTiles * kTile, kMaxColumnTiles, kTile));
}

float scale_for(Fp8Format format) { return fp8_max(format); }

VerifyResult verify(int64_t rows, int64_t cols, Fp8Format format, const std::vector<float>& x,
                    const std::vector<uint8_t>& y, const std::vector<uint8_t>& yt, float amax, int64_t max_rows) {
  const float scale = scale_for(format);
  VerifyResult r;
  r.passed = true;
  r.tolerance = 0;  // the cast is exact: one rounding, the same on both sides
  auto fail = [&](const std::string& what) {
    if (r.passed) r.detail = what;
    r.passed = false;
  };
  float ref_amax = 0;
  for (float v : x) ref_amax = std::max(ref_amax, std::fabs(v));
  if (amax != ref_amax) fail(fmt::format("amax {} where max |x| is {}", amax, ref_amax));
  const int64_t checked = std::min(rows, std::max<int64_t>(max_rows, 2));
  for (int64_t i = 0; i < checked && r.passed; ++i) {
    const int64_t row = checked == rows ? i : i * (rows - 1) / (checked - 1);
    for (int64_t col = 0; col < cols; ++col) {
      const uint8_t want = float_to_fp8(x[static_cast<size_t>(y_index(row, col, cols))] * scale, format);
      const uint8_t got = y[static_cast<size_t>(y_index(row, col, cols))];
      const uint8_t got_t = yt[static_cast<size_t>(yt_index(row, col, rows))];
      r.elements_checked += 2;
      if (got != want || got_t != want) {
        const double ref = fp8_to_float(want, format);
        r.max_rel_error = std::max(r.max_rel_error,
                                   std::abs(fp8_to_float(got != want ? got : got_t, format) - ref) / (std::abs(ref) + 1.0));
        fail(fmt::format("row {} col {}: y 0x{:02x}, yt 0x{:02x}, reference 0x{:02x} ({} of {} x {})", row, col, got,
                         got_t, want, to_string(format), x[static_cast<size_t>(y_index(row, col, cols))], scale));
        break;
      }
    }
  }
  if (r.passed)
    r.detail = fmt::format("{} rows of {} (y and its transpose, {}) and amax checked exactly against the host's rounding",
                           checked, rows, to_string(format));
  return r;
}

}  // namespace tb::kernels::fp8cast
