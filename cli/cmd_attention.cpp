// `trainbench attention`: one attention pass (forward or backward, fused or unfused), measured
// through Google Benchmark and measure_op like the GEMMs, verified against the fp64 reference.
// FLOPs, the flash-attention papers' convention: forward 4·b·h·s²·d, halved when causal;
// backward 2.5× forward (harness/workload/op.hpp).
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli/convergence_note.hpp"
#include "cli/host_notes.hpp"
#include "cli/command_registry.hpp"
#include "cli/output_flag.hpp"
#include "cli/output_lock_flag.hpp"
#include "cli/device_flags.hpp"
#include "cli/kernel_limits.hpp"
#include "cli/kernel_status.hpp"
#include "cli/gemm_case.hpp"
#include "cli/kernel_table.hpp"
#include "cli/timing_flags.hpp"
#include "harness/common/errors.hpp"
#include "harness/hardware/cpu_peak.hpp"
#include "harness/results/results_io.hpp"
#include "harness/runner/gbench_runner.hpp"
#include "harness/runner/interrupt.hpp"
#include "harness/runner/machine_info.hpp"
#include "kernels/common/attention_padding.hpp"

namespace tb::cli {
namespace {

constexpr const char* kFlopsConvention =
    "FLOPs: forward 4*b*h*s^2*d, halved when causal; backward 2.5x forward (FlashAttention papers' convention)";

constexpr const char* kSizeFlags = "--batch/--heads/--seq/--head-dim";

struct AttentionFlags {
  int64_t batch = 1;
  int64_t heads = 12;     // GPT-3 175B's 96 heads over 8-way tensor parallelism
  std::optional<int64_t> kv_heads;  // default: = heads
  std::optional<int64_t> seq;  // default: 2048 on a GPU, 256 on the CPU
  int64_t head_dim = 128;
  bool causal = false;
  std::string dtype;      // "": bf16 on a GPU, fp32 on the CPU
  std::string impl = "fused";
  std::string pass = "fwd";
  DeviceFlags dev;
  std::string sku;
  bool json = false;
  bool no_verify = false;
  std::string out;
  TimingFlags timing;
};

void positive(int64_t v, const char* flag) {
  if (v <= 0) throw UsageError(fmt::format("{} must be a positive integer (got {})", flag, v));
}

// Everything that can be refused without a device.
void validate(const AttentionFlags& f) {
  positive(f.batch, "--batch");
  positive(f.heads, "--heads");
  // Grouped-query attention: each key/value head serves heads / kv_heads query heads.
  const int64_t kv = f.kv_heads.value_or(f.heads);
  if (kv < 1 || kv > f.heads || f.heads % kv != 0)
    throw UsageError(fmt::format("--kv-heads {}: must be between 1 and --heads ({}) and divide it (grouped-query "
                                 "attention)",
                                 kv, f.heads));
  if (f.seq && (*f.seq <= 0 || *f.seq > (1 << 20)))
    throw UsageError(fmt::format("--seq must be between 1 and {} (got {})", 1 << 20, *f.seq));
  kernels::check_attention_impl(f.impl);
  // The fused CUDA kernels are built for head widths 64 and 128 and run narrower ones zero-padded
  // (kernels/common/attention_padding.hpp); unfused attention is GEMMs and a softmax.
  if (f.impl == "unfused") {
    if (f.head_dim < 8 || f.head_dim > 256 || f.head_dim % 8 != 0)
      throw UsageError(fmt::format("--head-dim {} with --impl unfused: accepted values are multiples of 8 from 8 to 256",
                                   f.head_dim));
  } else if (f.head_dim > kernels::attn::kMaxFusedHeadDim) {
    throw UsageError(fmt::format("--head-dim {}: fused attention is instantiated up to {}; use --impl unfused (any "
                                 "multiple of 8 up to 256)",
                                 f.head_dim, kernels::attn::kMaxFusedHeadDim));
  } else if (f.head_dim < 1) {
    throw UsageError(fmt::format("--head-dim {} with --impl {}: accepted values are 1 to {}", f.head_dim, f.impl,
                                 kernels::attn::kMaxFusedHeadDim));
  }
  if (f.pass != "fwd" && f.pass != "bwd")
    throw UsageError(fmt::format("--pass: unknown pass '{}'; accepted values: fwd, bwd", f.pass));
  if (!f.dtype.empty()) {
    const DType d = parse_dtype(f.dtype, "--dtype");
    if (d != DType::BF16 && d != DType::FP16 && d != DType::FP32)
      throw UsageError(fmt::format("--dtype {}: attention accepts bf16, fp16 (GPU) or fp32 (CPU)", f.dtype));
  }
}

// The CPU computes attention in fp32 only; a GPU in bf16 or fp16 only.
DType resolve_dtype(const std::string& text, const kernels::DeviceInfo& device) {
  const bool cpu = device.backend == "cpu";
  if (text.empty()) return cpu ? DType::FP32 : DType::BF16;
  const DType d = parse_dtype(text, "--dtype");
  // Refused, as gemm and run refuse a dtype the CPU does not run: a result labelled fp32 for a
  // question about bf16 would answer another question.
  if (cpu && d != DType::FP32)
    throw UsageError(fmt::format("--dtype {}: the CPU backend computes attention in fp32; accepted values here: fp32",
                                 text));
  if (!cpu && d == DType::FP32)
    throw UsageError("--dtype fp32: attention on a GPU runs in bf16 or fp16; accepted values: bf16, fp16");
  return d;
}

Op make_attention_op(const AttentionShape& shape, DType dtype, bool backward, const std::string& impl) {
  return tb::make_attention_op(fmt::format("attention.{}.{}", backward ? "bwd" : "fwd", impl), shape, dtype, backward);
}

nlohmann::json single_json(const results::RunResults& run, const results::KernelResult& r, const AttentionFlags& f) {
  nlohmann::json j = results::to_json(run).at("kernels").back();
  for (const auto& [k, v] : r.dims) j[k] = v;
  j["causal"] = r.causal;
  j["impl"] = f.impl;
  j["pass"] = f.pass;
  j["device"] = run.machine.backend;
  j["device_name"] = run.machine.device_name;
  j["sku"] = run.machine.sku;
  j["peak_tflops"] = run.machine.peak_tflops;
  j["flops_convention"] = kFlopsConvention;
  return j;
}

void run_attention(const AttentionFlags& f, const CLI::App& cmd) {
  validate(f);
  runner::MeasureOptions options;
  options.policy = to_policy(f.timing);
  options.prepare.attention_impl = f.impl;
  options.verify = !f.no_verify;
  options.corrupt_output_for_testing = corrupt_output_requested();
  const auto gbench_args = gbench_args_from_extras(cmd);
  if (f.json && !runner::gbench_flag_value(gbench_args, "format").empty())
    throw UsageError("--json and --benchmark_format both choose what stdout prints; give one");

  std::string lock_note;
  // Before the backend, whose making may measure: a second attention over these files refuses unmeasured.
  const results::OutputLock out_lock = lock_output_file(f.out, "--out", &lock_note);
  const results::OutputLock gbench_out_lock = lock_benchmark_out(gbench_args, f.out, &lock_note);
  auto backend = make_backend(f.dev);
  const kernels::DeviceInfo info = backend->device_info();
  const DType dtype = resolve_dtype(f.dtype, info);
  const int64_t seq = f.seq ? *f.seq : (info.backend == "cpu" ? 256 : 2048);
  const AttentionShape shape{f.batch, f.heads, f.kv_heads.value_or(f.heads), seq, f.head_dim, f.causal};
  const bool cpu = info.backend == "cpu";
  const bool backward = f.pass == "bwd";
  check_attention_impl_for(f.impl, info);
  // Before the Op: its FLOPs and bytes are int64 products that absurd shapes would overflow.
  check_attention_fits(shape, dtype_bytes(dtype), backward, backend->free_memory_bytes(), kSizeFlags,
                       attention_run_head_dim(f.impl, info, shape.head_dim));
  const Op op = make_attention_op(shape, dtype, backward, f.impl);
  // A GPU sample is milliseconds; a CPU one grows as s², so a long sequence is a silent hang.
  if (cpu) check_cpu_sample_time(op, estimate_local_cpu_peak().fp32_peak_tflops, kSizeFlags);
  const auto sku = runner::sku_for(info, f.sku, runner::PeaksNeeded::compute);
  fmt::print(stderr, "{}{}", lock_note, runner::sku_note(info, f.sku));

  runner::install_interrupt_handler();
  runner::GbenchOptions gb;
  gb.args = gbench_args;
  auto measured = runner::run_with_google_benchmark(*backend, {op}, options, sku, gb);
  results::RunResults run = make_run_results("attention", *backend, sku, dtype, measured, options.policy);
  run.workload.micro_batch = shape.batch;  // the workload this file describes is the kernel's own shape
  run.workload.seq_len = shape.seq;
  run.workload.attention_impl = f.impl;
  const auto& r = run.kernels.back();
  if (f.json) {
    std::cout << single_json(run, r, f).dump(2) << "\n";
  } else if (gbench_args.empty()) {
    print_kernel_table(std::cout, run.kernels);
    if (r.status == "ok")
      fmt::print(std::cout, "\n{} on {}: {:.4f} ms, {:.3f} TFLOP/s{}\n{}\n", runner::gbench_name(op), info.name,
                 r.stats.median_ms, r.tflops,
                 r.pct_of_peak > 0 ? fmt::format(", {:.1f}% of {} {} peak", r.pct_of_peak, sku->name, r.dtype) : "",
                 kFlopsConvention);
  }
  std::cout.flush();  // the measurement is on screen before the file, which a full disk may refuse
  if (!f.out.empty()) results::write_results_file(f.out, run);
  fmt::print(stderr, "{}", unconverged_note(run.kernels, options.policy.target_rel_noise));
  fmt::print(stderr, "{}", host_notes(run.machine));
  for (const auto& k : run.kernels) fail_on_status(k, "attention", kSizeFlags);
}

void add_attention_command(CLI::App& app) {
  auto flags = std::make_shared<AttentionFlags>();
  auto* cmd = app.add_subcommand("attention", "Measure one attention pass: time, TFLOP/s, % of peak, verified vs fp64");
  cmd->add_option("--batch", flags->batch, "Sequences per batch")->capture_default_str()->check(fits_int64());
  cmd->add_option("--heads", flags->heads, "Query heads (per GPU)")->capture_default_str()->check(fits_int64());
  cmd->add_option("--kv-heads", flags->kv_heads,
                  "Key/value heads: 1 to --heads, dividing it (grouped-query when fewer; default: --heads)")
      ->check(fits_int64());
  cmd->add_option("--seq", flags->seq, "Sequence length (default 2048 on a GPU, 256 on the CPU)")
      ->check(fits_int64());
  cmd->add_option("--head-dim", flags->head_dim, "Head dimension: 1 to 128 (on a GPU, 64 and 128 run as they are, others zero-padded to the next of "
                  "them; unfused: any multiple of 8 up to 256)")
      ->capture_default_str()
      ->check(fits_int64());
  cmd->add_flag("--causal", flags->causal, "Causal mask (FLOPs halved)");
  cmd->add_option("--dtype", flags->dtype, "bf16 or fp16 on a GPU (default bf16); the CPU computes fp32");
  cmd->add_option("--impl", flags->impl, "fused (our flash-style kernel), wgmma (its sm_90a forward on Hopper tensor-core instructions) or unfused (GEMM + softmax + GEMM)")
      ->capture_default_str();
  cmd->add_option("--pass", flags->pass, "fwd or bwd")->capture_default_str();
  add_device_flags(cmd, flags->dev);
  cmd->add_option("--sku", flags->sku, "SKU config for % of peak (default: matched from the device name)");
  cmd->add_flag("--json", flags->json, "Print one JSON object");
  cmd->add_flag("--no-verify", flags->no_verify, "Skip the check against the fp64 reference");
  cmd->add_option("--out", flags->out, fmt::format("Write a results file (JSON, schema v{})", results::kSchemaVersion))
      ->check(writable_output("--out"));
  add_timing_flags(cmd, flags->timing);
  add_throttle_flags(cmd, flags->timing);
  cmd->allow_extras();  // --benchmark_* flags go to Google Benchmark
  cmd->footer(std::string(kFlopsConvention) +
              ".\nGoogle Benchmark flags pass through: --benchmark_format=json, --benchmark_repetitions=5, "
              "--benchmark_out=FILE.");
  cmd->callback([flags, cmd] { run_attention(*flags, *cmd); });
}

const Registration registration{"attention", 13, add_attention_command};

}  // namespace
}  // namespace tb::cli
