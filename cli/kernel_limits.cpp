#include "cli/kernel_limits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "harness/common/errors.hpp"
#include "kernels/common/attention_padding.hpp"

namespace tb::cli {

CLI::Validator fits_int64() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        int64_t v = 0;
        const char* begin = text.data() + (!text.empty() && text[0] == '+' ? 1 : 0);
        const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), v);
        if (ec == std::errc::result_out_of_range)
          return fmt::format("{} is beyond the 64-bit integer range", text);
        (void)end;
        return "";
      },
      "INT64", "fits_int64");
}

void check_attention_impl_for(const std::string& impl, const kernels::DeviceInfo& device) {
  if (device.backend == "cpu" && impl == "wgmma")
    throw UsageError("--impl wgmma is a CUDA kernel for H100/H200 (sm_90a); the CPU backend runs --impl fused or "
                     "unfused");
}

void check_attention_head_dim_for(const std::string& impl, const kernels::DeviceInfo& device, int64_t head_dim,
                                  const std::string& model) {
  if (device.backend != "cuda" || impl == "unfused" || kernels::attn::fused_head_dim_padding(head_dim).runs()) return;
  throw UsageError(fmt::format("--impl {}: {} has head_dim {}; fused attention is instantiated up to {} (narrower "
                               "heads run zero-padded to 64 or 128); use --impl unfused (cuBLAS GEMMs and a softmax "
                               "kernel, any multiple of 8)",
                               impl, model, head_dim, kernels::attn::kMaxFusedHeadDim));
}

void check_fp8_step_for(const Workload& workload, const kernels::DeviceInfo& device) {
  if (workload.options.dtype != DType::FP8 || device.backend != "cuda") return;
  const int cc = device.compute_capability_major * 10 + device.compute_capability_minor;
  if (cc < 89)
    throw UsageError(fmt::format("--dtype fp8 needs fp8 tensor cores (compute capability 8.9 or newer: L40S, H100, "
                                 "H200, B200); {} is {}.{}: give --dtype bf16",
                                 device.name, device.compute_capability_major, device.compute_capability_minor));
  const int64_t tokens = workload.tokens_per_step();
  for (const Op& op : workload.ops) {
    if (op.kind != OpKind::Gemm || op.dtype != DType::FP8) continue;
    const GemmShape& g = op.gemm;
    if (g.m % kFp8GemmAlignment == 0 && g.n % kFp8GemmAlignment == 0 && g.k % kFp8GemmAlignment == 0) continue;
    // The token dimension is --micro-batch x --seq; the others are the model's widths split by --tp.
    const bool token_dim = tokens % kFp8GemmAlignment != 0;
    throw UsageError(fmt::format(
        "--dtype fp8: GEMM {} of {} is {} x {} x {}; cuBLASLt's fp8 GEMMs need m, n and k multiples of {}: {}, or "
        "give --dtype bf16",
        op.name, workload.model.name, g.m, g.n, g.k, kFp8GemmAlignment,
        token_dim ? fmt::format("--micro-batch x --seq = {} tokens is not one; change them", tokens)
                  : fmt::format("a width of {} split by --tp {} is not one; another --tp may be", workload.model.name,
                                workload.options.tensor_parallel)));
  }
}

double attention_bytes_needed(const AttentionShape& s, double element_bytes, bool backward) {
  const double bsd = static_cast<double>(s.batch) * static_cast<double>(s.seq) * static_cast<double>(s.head_dim);
  const double q = bsd * static_cast<double>(s.heads);      // Q, O, dO, dQ each
  const double kv = bsd * static_cast<double>(s.kv_heads);  // K, V, dK, dV each
  const double lse = 4.0 * static_cast<double>(s.batch) * static_cast<double>(s.heads) * static_cast<double>(s.seq);
  const double tensors = backward ? 4 * q + 4 * kv : 2 * q + 2 * kv;
  return element_bytes * tensors + lse;
}

int64_t attention_run_head_dim(const std::string& impl, const kernels::DeviceInfo& device, int64_t head_dim) {
  if (device.backend != "cuda" || impl == "unfused") return head_dim;
  const kernels::attn::HeadDimPadding p = kernels::attn::fused_head_dim_padding(head_dim);
  return p.runs() ? p.padded_head_dim : head_dim;
}

void check_attention_fits(const AttentionShape& shape, double element_bytes, bool backward, double free_bytes,
                          const std::string& size_flags, int64_t run_head_dim) {
  AttentionShape allocated = shape;
  allocated.head_dim = std::max(shape.head_dim, run_head_dim);
  const double needed = attention_bytes_needed(allocated, element_bytes, backward);
  if (!(free_bytes > 0)) return;  // unknown (no MemAvailable, say): nothing to judge against
  const std::string padded =
      allocated.head_dim > shape.head_dim ? fmt::format(" (run zero-padded to {})", allocated.head_dim) : "";
  if (needed > free_bytes)
    throw UsageError(fmt::format("{}: attention batch {} x heads {} (kv {}) x seq {} x head_dim {}{} does not fit: its "
                                 "{} tensors need {:.3g} GB; {:.3g} GB available",
                                 size_flags, shape.batch, shape.heads, shape.kv_heads, shape.seq, shape.head_dim,
                                 padded, backward ? "Q, K, V, O, dO, dQ, dK, dV and LSE" : "Q, K, V, O and LSE",
                                 needed / 1e9, free_bytes / 1e9));
}

void check_cpu_sample_time(const Op& op, double peak_tflops, const std::string& size_flags) {
  const double fraction = cpu_attainable_fraction(is_attention(op.kind));
  const double min_s = min_cpu_sample_s(op.flops, peak_tflops, fraction);
  if (min_s > kMaxCpuSampleS)
    throw UsageError(fmt::format("{}: {} {} needs {:.3g} TFLOP per sample: at least {:.0f} s on this CPU even at {}, "
                                 "over the {:.0f} s a CPU sample may take; give a smaller shape, or measure it on a GPU",
                                 size_flags, op.name, op.shape_string(), op.flops / 1e12, min_s,
                                 cpu_rate_phrase(peak_tflops, fraction), kMaxCpuSampleS));
}

}  // namespace tb::cli
