#include "kernels/cpu/adam_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "harness/common/errors.hpp"
#include "kernels/common/float_formats.hpp"
#include "kernels/cpu/memory_ops_reference.hpp"

namespace tb::kernels::adamcheck {

void validate(const Op& op) {
  if (op.kind != OpKind::AdamUpdate)
    throw UsageError(fmt::format("op '{}' is {}, not adam_update", op.name, to_string(op.kind)));
  if (op.memory.rows != 1 || op.memory.cols <= 0)
    throw UsageError(fmt::format("op '{}' (adam_update): one row of a positive number of parameters (got {}x{})",
                                 op.name, op.memory.rows, op.memory.cols));
  if (op.dtype != DType::BF16 && op.dtype != DType::FP16 && op.dtype != DType::FP32)
    throw UnsupportedError(fmt::format("op '{}' {}: the Adam update writes a bf16 or fp16 working copy of the "
                                       "weights, or none (fp32); not {}",
                                       op.name, op.shape_string(), to_string(op.dtype)));
}

bool writes_copy(const Op& op) { return op.dtype == DType::BF16 || op.dtype == DType::FP16; }

namespace {
constexpr float kScale[] = {1e-2f, 2e-2f, 1e-2f, 0.5e-4f};  // by AdamTensor
// A NaN's error, finite so that the results file (JSON) can hold it.
constexpr double kNanError = 1e30;
}

memcheck::FillRule fill_rule(AdamTensor tensor, uint64_t seed) {
  const auto t = static_cast<int>(tensor);
  const uint64_t s = seed * 0x100000001b3ull + static_cast<uint64_t>(t + 11) * 0x9e3779b9ull + 1;
  return {s, tensor == AdamTensor::V ? 1e-4f : 0.0f, kScale[t]};
}

// The memory ops' even spread of rows, over parameters.
std::vector<int64_t> checked_indices(int64_t params, int64_t max_elements) {
  return memcheck::checked_rows(params, max_elements);
}

VerifyResult verify(const AdamData& d, DType copy, int64_t step, int64_t max_elements) {
  VerifyResult r;
  r.passed = true;
  r.tolerance = kAdamTolerance;
  const int64_t n = d.held.empty() && d.params == 0 ? static_cast<int64_t>(d.grad.size()) : d.params;
  const bool has_copy = copy == DType::BF16 || copy == DType::FP16;
  auto fail = [&](const std::string& what) {
    if (r.passed) r.detail = what;
    r.passed = false;
  };
  const std::vector<int64_t> indices = checked_indices(n, max_elements);
  if (!d.held.empty() && d.held != indices) {
    fail(fmt::format("the {} parameters copied back are not the {} verification checks", d.held.size(), indices.size()));
    return r;
  }
  const size_t size = d.held.empty() ? static_cast<size_t>(n) : d.held.size();
  bool sized = n > 0 && (!has_copy || d.copy.size() == size);
  for (const auto* t : {&d.grad, &d.in_w, &d.in_m, &d.in_v, &d.out_w, &d.out_m, &d.out_v}) sized &= t->size() == size;
  if (!sized) {
    fail("buffers missing or of the wrong size");
    return r;
  }
  const auto checked = static_cast<int64_t>(indices.size());
  for (size_t c = 0; c < indices.size(); ++c) {
    const int64_t param = indices[c];  // the tensor's index, named in messages
    const size_t i = d.held.empty() ? static_cast<size_t>(param) : c;  // where the data hold it
    const memref::AdamResult ref = memref::adamw(d.in_w[i], d.in_m[i], d.in_v[i], d.grad[i], step);
    const double got[3] = {d.out_w[i], d.out_m[i], d.out_v[i]};
    const double want[3] = {ref.w, ref.m, ref.v};
    const double scale[3] = {kScale[1], kScale[2], kScale[3]};
    const char* name[3] = {"master weight", "m", "v"};
    for (int t = 0; t < 3; ++t) {
      const double err = std::abs(got[t] - want[t]) / (std::abs(want[t]) + scale[t]);
      r.max_rel_error = std::max(r.max_rel_error, std::isnan(err) ? kNanError : err);
      ++r.elements_checked;
      if (!(err <= kAdamTolerance))
        fail(fmt::format("element {}: {} {} where the fp64 reference has {} (step {})", param, name[t], got[t], want[t],
                         step));
    }
    if (has_copy) {
      const uint16_t want_copy = copy == DType::BF16 ? float_to_bf16(d.out_w[i]) : float_to_fp16(d.out_w[i]);
      ++r.elements_checked;
      if (d.copy[i] != want_copy) {
        const double value = copy == DType::BF16 ? bf16_to_float(d.copy[i]) : fp16_to_float(d.copy[i]);
        const double err = std::abs(value - d.out_w[i]) / (std::abs(d.out_w[i]) + kScale[1]);
        r.max_rel_error = std::max(r.max_rel_error, std::isnan(err) ? kNanError : std::max(err, 2 * kAdamTolerance));
        fail(fmt::format("element {}: {} working copy 0x{:04x}, not 0x{:04x}, the rounding of the master weight {}", param,
                         to_string(copy), d.copy[i], want_copy, d.out_w[i]));
      }
    }
  }
  if (r.passed)
    r.detail = fmt::format("{} of {} parameters: master, m and v against the fp64 AdamW reference{}", checked, n,
                           has_copy ? ", the working copy exactly" : "");
  return r;
}

}  // namespace tb::kernels::adamcheck
