#pragma once
// What a single-kernel command (gemm, attention) refuses before measuring, because the device
// could not run it in memory or in time, or has no such kernel: the shape is the command's own
// flags, so these are UsageErrors (exit 2) naming them. Inside `run`, the backend's own checks
// record the same refusals per kernel ("oom", "unsupported") and the run goes on.
#include <CLI/CLI.hpp>

#include <string>

#include "harness/hardware/cpu_peak.hpp"
#include "harness/workload/op.hpp"
#include "harness/workload/workload.hpp"
#include "kernels/backend.hpp"

namespace tb::cli {

// CLI11 (2.1) saturates an integer beyond int64 to INT64_MAX without a word, so that
// --heads 99999999999999999999 would run as 9223372036854775807: this validator refuses the text
// first, naming the flag. Other malformed text is left to CLI11's own conversion error.
CLI::Validator fits_int64();

// --impl wgmma is a Hopper (sm_90a) kernel: refused on the CPU backend, naming the impls it has.
void check_attention_impl_for(const std::string& impl, const kernels::DeviceInfo& device);
// The fused CUDA kernels (fused, wgmma) are built for head widths 64 and 128 and run narrower ones
// (GPT-3 2.7B's 80, Large's 96) zero-padded to them (kernels/common/attention_padding.hpp); a wider
// one (DeepSeek-V3's 192) is refused before minutes of other kernels, pointing at --impl unfused.
void check_attention_head_dim_for(const std::string& impl, const kernels::DeviceInfo& device, int64_t head_dim,
                                  const std::string& model);

// `run --dtype fp8` on CUDA: fp8 tensor cores need compute capability 8.9 (Ada, Hopper) or newer,
// and cuBLASLt's fp8 GEMMs every dimension a multiple of 16; the first GEMM of `workload` that
// breaks it is named with its shape and the way out (--dtype bf16), before minutes of measuring.
void check_fp8_step_for(const Workload& workload, const kernels::DeviceInfo& device);

// Bytes of Q, K, V, O and LSE (forward), plus dO, dQ, dK, dV (backward), in `element_bytes`
// per element (LSE in fp32), computed in double: no int64 product can overflow on the way.
double attention_bytes_needed(const AttentionShape& shape, double element_bytes, bool backward);

// The head width `impl` allocates on `device` for `head_dim`: the fused CUDA kernels' padded width
// (kernels/common/attention_padding.hpp: 96 runs at 128), else head_dim itself.
int64_t attention_run_head_dim(const std::string& impl, const kernels::DeviceInfo& device, int64_t head_dim);

// Refuses a shape whose tensors exceed `free_bytes` (the backend's free memory), naming
// `size_flags` and the bytes needed; call it before building the Op (whose int64 products
// would overflow on absurd shapes). The tensors are counted `run_head_dim` wide where that is
// wider than the shape's head_dim (a padded run), and the message says so.
void check_attention_fits(const AttentionShape& shape, double element_bytes, bool backward, double free_bytes,
                          const std::string& size_flags, int64_t run_head_dim = 0);

// Refuses an op whose one sample on the CPU would take over kMaxCpuSampleS even at the CPU's
// estimated peak (harness/hardware/cpu_peak.hpp): the real time is longer still. `peak_tflops`
// <= 0 (unknown) skips the check.
void check_cpu_sample_time(const Op& op, double peak_tflops, const std::string& size_flags);

}  // namespace tb::cli
