// `run --dtype fp8`: Transformer Engine's recipe as Megatron-Core runs it. The layers' linear
// GEMMs run in fp8, everything else in bf16; the shapes and the model FLOPs are the bf16 step's;
// MFU is judged against the bf16 peak; what a GPU cannot run is refused before measuring.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

#include "cli/kernel_limits.hpp"
#include "cli/run_printer.hpp"
#include "harness/common/errors.hpp"
#include "harness/results/results_io.hpp"
#include "harness/runner/machine_info.hpp"
#include "harness/runner/step_runner.hpp"
#include "harness/workload/workload.hpp"
#include "tests/support/workload_ops.hpp"

namespace tb {
namespace {

const Op& find(const Workload& w, const std::string& name) { return testing::find_op(w, name); }

std::string stem(const std::string& name) { return name.substr(0, name.find('.')); }

TEST(Fp8Recipe, LayerLinearGemmsInFp8TheRestInBf16) {
  const Workload w = build_workload(load_model("gpt3-175b"), {.tensor_parallel = 8, .dtype = DType::FP8});
  const std::set<std::string> fp8_stems = {"qkv", "attn_out", "mlp_up", "mlp_down"};
  size_t fp8_ops = 0;
  for (const Op& op : w.ops) {
    const bool layer_linear = op.kind == OpKind::Gemm && fp8_stems.count(stem(op.name)) > 0;
    EXPECT_EQ(op.dtype, layer_linear ? DType::FP8 : DType::BF16) << op.name;
    fp8_ops += layer_linear ? 1 : 0;
  }
  EXPECT_EQ(fp8_ops, 12u);  // four GEMMs × forward, data and weight gradient
  EXPECT_EQ(find(w, "logits.fwd").dtype, DType::BF16);
  EXPECT_EQ(find(w, "attention.bwd").dtype, DType::BF16);
  // One byte per fp8 input element, two per bf16 output: QKV forward reads A (2048 × 12288) and
  // B (12288 × 4608) in fp8 and writes C (2048 × 4608) in bf16.
  EXPECT_DOUBLE_EQ(find(w, "qkv.fwd").bytes, 2048.0 * 12288 + 12288.0 * 4608 + 2.0 * 2048 * 4608);
}

TEST(Fp8Recipe, CastsOfEachFp8GemmsInputAndGradientByHand) {
  // GPT-3 175B at tp 8, 2048 tokens: per layer the fp8 GEMMs' inputs and outputs are QKV 12288 →
  // 4608, output projection 1536 → 12288, MLP up 12288 → 6144, down 6144 → 12288 columns wide;
  // each X and dY read in bf16 and written as fp8 and fp8ᵀ: 4 bytes per element, 96 layers.
  const ModelConfig model = load_model("gpt3-175b");
  const Workload fp8 = build_workload(model, {.tensor_parallel = 8, .dtype = DType::FP8});
  double bytes = 0;
  size_t casts = 0;
  for (const Op& op : fp8.ops) {
    if (op.kind != OpKind::Fp8CastTranspose || op.name.ends_with(kFp8WeightCastSuffix)) continue;
    ++casts;
    bytes += op.bytes * static_cast<double>(op.calls_per_step);
    EXPECT_EQ(op.calls_per_step, 96) << op.name;
    EXPECT_EQ(op.memory.rows, 2048) << op.name;
    EXPECT_EQ(op.dtype, DType::BF16) << op.name;  // what it reads
    EXPECT_DOUBLE_EQ(op.model_flops, 0) << op.name;
    EXPECT_EQ(op.is_forward, op.name.ends_with(".cast_x")) << op.name;  // re-run under full recomputation
    // TE's HYBRID format: the forward's input in e4m3, the gradient in e5m2.
    EXPECT_EQ(op.cast_format, op.name.ends_with(".cast_dy") ? Fp8Format::E5M2 : Fp8Format::E4M3) << op.name;
  }
  EXPECT_EQ(casts, 8u);  // X and dY of QKV, output projection, MLP up and down
  const double columns = 12288 + 4608 + 1536 + 12288 + 12288 + 6144 + 6144 + 12288;
  EXPECT_DOUBLE_EQ(bytes, 4.0 * 2048 * columns * 96);
  EXPECT_EQ(find(fp8, "qkv.cast_x").memory.cols, 12288);
  EXPECT_EQ(find(fp8, "qkv.cast_dy").memory.cols, 4608);
  for (const Op& op : build_workload(model, {.tensor_parallel = 8}).ops) EXPECT_NE(op.kind, OpKind::Fp8CastTranspose);
}

TEST(Fp8Recipe, WeightCastsOfEachFp8GemmByHand) {
  // GPT-3 175B at tp 8: each layer's fp8 weights on one GPU are QKV 12288 x 4608, output
  // projection 1536 x 12288, MLP up 12288 x 6144 and down 6144 x 12288 (in x out); each read in
  // bf16 and written as e4m3 and its transpose, 4 bytes per element, once per step (charged in
  // full: an upper bound), 96 layers. 226,492,416 elements a layer: 86.97 GB a step.
  const Workload fp8 = build_workload(load_model("gpt3-175b"), {.tensor_parallel = 8, .dtype = DType::FP8});
  const std::pair<const char*, std::pair<int64_t, int64_t>> weights[] = {
      {"qkv", {12288, 4608}}, {"attn_out", {1536, 12288}}, {"mlp_up", {12288, 6144}}, {"mlp_down", {6144, 12288}}};
  double bytes = 0;
  for (const auto& [name, shape] : weights) {
    const Op& op = find(fp8, std::string(name) + ".cast_w");
    EXPECT_EQ(op.kind, OpKind::Fp8CastTranspose);
    EXPECT_EQ(op.memory.rows, shape.first) << name;
    EXPECT_EQ(op.memory.cols, shape.second) << name;
    EXPECT_EQ(op.cast_format, Fp8Format::E4M3) << name;
    EXPECT_EQ(op.calls_per_step, 96) << name;
    EXPECT_FALSE(op.is_forward) << name;  // the cached copy serves recomputation
    EXPECT_DOUBLE_EQ(op.model_flops, 0) << name;
    bytes += op.bytes * static_cast<double>(op.calls_per_step);
  }
  EXPECT_DOUBLE_EQ(bytes, 4.0 * 226492416.0 * 96);
  size_t weight_casts = 0;
  for (const Op& op : fp8.ops) weight_casts += op.name.ends_with(kFp8WeightCastSuffix) ? 1 : 0;
  EXPECT_EQ(weight_casts, 4u);
  // Routed experts: every local expert's weights, cast together once per MoE layer (the grouped
  // GEMM's). Mixtral 8x7B at tp 2, ep 2: 4 local experts x 32 layers; up 4 x 4096 rows of
  // 2·14336/2 (gate and up fused), down 4 x 7168 rows of 4096.
  const Workload moe = build_workload(load_model("mixtral-8x7b"),
                                      {.tensor_parallel = 2, .seq_len = 256, .dtype = DType::FP8, .expert_parallel = 2});
  const Op& up = find(moe, "expert_up.cast_w");
  EXPECT_EQ(up.calls_per_step, 32);
  EXPECT_EQ(up.memory.rows, 4 * 4096);
  EXPECT_EQ(up.memory.cols, 14336);
  EXPECT_EQ(find(moe, "expert_down.cast_w").memory.rows, 4 * 7168);
  // The inputs' casts cover every local expert's rows: (2·256·2/8 = 128 rows) x 4 experts.
  EXPECT_EQ(find(moe, "expert_up.cast_x").memory.rows, 4 * 128);
  EXPECT_EQ(find(moe, "expert_down.cast_dy").memory.rows, 4 * 128);
  EXPECT_THROW(find(moe, "router.cast_w"), std::exception);  // the router stays in bf16
}

TEST(Fp8Recipe, SameShapesAndModelFlopsAsTheBf16Step) {
  for (const char* name : {"gpt3-175b", "llama3-8b", "deepseek-v3"}) {
    const ModelConfig model = load_model(name);
    const WorkloadOptions bf16{.tensor_parallel = 8, .seq_len = 2048};
    WorkloadOptions fp8 = bf16;
    fp8.dtype = DType::FP8;
    const Workload a = build_workload(model, bf16), b = build_workload(model, fp8);
    // Every bf16 op is in the fp8 step with its shape and model FLOPs; what fp8 adds is its casts.
    for (const Op& op : a.ops) {
      const Op& same = find(b, op.name);
      EXPECT_EQ(op.shape_string(), same.shape_string()) << name << " " << op.name;
      EXPECT_DOUBLE_EQ(op.model_flops, same.model_flops) << name << " " << op.name;
    }
    size_t casts = 0;
    for (const Op& op : b.ops) casts += op.kind == OpKind::Fp8CastTranspose ? 1 : 0;
    EXPECT_EQ(b.ops.size(), a.ops.size() + casts) << name;
    EXPECT_GT(casts, 0u) << name;
    EXPECT_DOUBLE_EQ(a.model_flops_per_step(), b.model_flops_per_step()) << name;
  }
}

TEST(Fp8Recipe, RoutedExpertRowsRoundUpToSixteenAsHardwareWorkOnly) {
  // Mixtral 8x7B, one sequence of 100 tokens: 1 · 100 · 2 / 8 = 25 tokens per expert; bf16 runs
  // 25 rows, fp8 pads to 32 (cuBLASLt's fp8 alignment). The model FLOPs stay those of 25 rows.
  const ModelConfig model = load_model("mixtral-8x7b");
  WorkloadOptions o{.seq_len = 100};
  const Workload bf16 = build_workload(model, o);
  o.dtype = DType::FP8;
  const Workload fp8 = build_workload(model, o);
  EXPECT_EQ(find(bf16, "expert_up.fwd").gemm.m, 25);
  const Op& up = find(fp8, "expert_up.fwd");
  EXPECT_EQ(up.gemm.m, 32);
  EXPECT_EQ(up.dtype, DType::FP8);
  EXPECT_EQ(up.gemm.batch, 8);  // all 8 experts at ep 1, one grouped GEMM
  EXPECT_DOUBLE_EQ(up.flops, 8 * 2.0 * 32 * 4096 * (2 * 14336));
  EXPECT_DOUBLE_EQ(up.model_flops, 8 * 2.0 * 25 * 4096 * (2 * 14336));
  EXPECT_EQ(find(fp8, "expert_down.wgrad").gemm.k, 32);
  EXPECT_EQ(find(fp8, "router.fwd").dtype, DType::BF16);  // Megatron-Core's router is no TE linear
  EXPECT_EQ(find(fp8, "expert_swiglu.fwd").memory.rows, 32 * 8);
  EXPECT_DOUBLE_EQ(bf16.model_flops_per_step(), fp8.model_flops_per_step());
  EXPECT_GT(fp8.executed_flops_per_step(), bf16.executed_flops_per_step());
}

TEST(Fp8Recipe, MfuAgainstTheBf16Peak) {
  EXPECT_EQ(mfu_peak_dtype(DType::FP8), DType::BF16);
  EXPECT_EQ(mfu_peak_dtype(DType::FP16), DType::FP16);
  EXPECT_EQ(mfu_peak_dtype(DType::TF32), DType::TF32);
  const Workload w = build_workload(load_model("gpt3-xl"), {.dtype = DType::FP8});
  std::vector<results::KernelResult> ks;
  double ms = 0, model_flops = 0;
  for (const Op& op : w.ops) {
    results::KernelResult k;
    k.name = op.name;
    k.status = "ok";
    k.flops = op.flops;
    k.dtype = to_string(op.dtype);
    k.calls_per_step = op.calls_per_step;
    k.stats.median_ms = 0.05;
    ks.push_back(k);
    ms += 0.05 * static_cast<double>(op.calls_per_step);
    model_flops += op.model_flops * static_cast<double>(op.calls_per_step);
  }
  const auto s = runner::summarize_step(w, ks, load_sku("h100-sxm"));
  EXPECT_NEAR(s.mfu, model_flops / (ms * 1e-3) / 989e12, 1e-12);  // bf16 dense peak, not fp8's 1979

  // The results file says which peak its MFU refers to; files from before say nothing and mean
  // the run's own dtype.
  results::RunResults r;
  r.workload.command = "run";
  r.workload.dtype = "fp8";
  r.workload.device = "cuda";
  r.machine.git_commit = "abc";
  r.machine.command_line = "trainbench run --dtype fp8";
  r.machine.utc_time = "2026-12-07T00:00:00Z";
  runner::record_sku(r.machine, load_sku("h100-sxm"), mfu_peak_dtype(DType::FP8));
  EXPECT_DOUBLE_EQ(r.machine.peak_tflops, 989);
  nlohmann::json j = results::to_json(r);
  EXPECT_EQ(j["machine"]["peak_dtype"], "bf16");
  EXPECT_EQ(results::from_json(j, "fp8.json").machine.peak_dtype, "bf16");
  j["machine"].erase("peak_dtype");
  EXPECT_EQ(results::from_json(j, "old.json").machine.peak_dtype, "fp8");
}

kernels::DeviceInfo cuda_device(int major, int minor) {
  kernels::DeviceInfo d;
  d.backend = "cuda";
  d.name = major == 8 && minor == 0 ? "NVIDIA A100-SXM4-80GB" : "NVIDIA H100 80GB HBM3";
  d.compute_capability_major = major;
  d.compute_capability_minor = minor;
  return d;
}

std::string refusal(const Workload& w, const kernels::DeviceInfo& d) {
  try {
    cli::check_fp8_step_for(w, d);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Fp8Recipe, RefusedBeforeMeasuringWhereTheGpuCannotRunIt) {
  const ModelConfig gpt3 = load_model("gpt3-175b");
  const Workload ok = build_workload(gpt3, {.tensor_parallel = 8, .dtype = DType::FP8});
  EXPECT_EQ(refusal(ok, cuda_device(9, 0)), "");
  EXPECT_EQ(refusal(ok, cuda_device(8, 9)), "");  // Ada (L40S) has fp8 tensor cores

  const std::string a100 = refusal(ok, cuda_device(8, 0));
  EXPECT_NE(a100.find("compute capability 8.9"), std::string::npos) << a100;
  EXPECT_NE(a100.find("A100"), std::string::npos) << a100;
  EXPECT_NE(a100.find("--dtype bf16"), std::string::npos) << a100;

  // 100 tokens: every GEMM's m (or the weight gradient's k) is 100, not a multiple of 16.
  const Workload odd = build_workload(gpt3, {.tensor_parallel = 8, .seq_len = 100, .dtype = DType::FP8});
  const std::string msg = refusal(odd, cuda_device(9, 0));
  EXPECT_NE(msg.find("qkv.fwd"), std::string::npos) << msg;
  EXPECT_NE(msg.find("100 x 4608 x 12288"), std::string::npos) << msg;
  EXPECT_NE(msg.find("multiples of 16"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--micro-batch x --seq = 100 tokens"), std::string::npos) << msg;

  // bf16 steps and the CPU backend (which refuses fp8 itself, in resolve_gemm_dtype) pass.
  EXPECT_EQ(refusal(build_workload(gpt3, {.tensor_parallel = 8, .seq_len = 100}), cuda_device(8, 0)), "");
  kernels::DeviceInfo cpu;
  cpu.backend = "cpu";
  EXPECT_EQ(refusal(odd, cpu), "");
}

}  // namespace
}  // namespace tb

namespace tb {
namespace {

// What `run` prints for an fp8 step (a CPU cannot make one): MFU against the bf16 peak, named, and
// the fraction of the fp8 peak beside it; a bf16 step has no fp8 clause.
TEST(Fp8Recipe, StepSummaryNamesThePeakAndTheFp8Fraction) {
  results::RunResults r;
  r.workload.model = "gpt3-175b";
  r.workload.dtype = "fp8";
  r.machine.peak_dtype = "bf16";
  results::StepResult s;
  s.step_ms = 100;
  s.mfu = 0.5;
  s.hfu = 0.51;
  r.step = s;
  std::ostringstream out;
  cli::print_step_summary(out, r, load_sku("h100-sxm"));
  EXPECT_NE(out.str().find("50.0%  (model FLOPs / h100-sxm bf16 peak; 25.0% of the fp8 peak)"), std::string::npos)
      << out.str();
  EXPECT_EQ(out.str().find("weight casts"), std::string::npos) << out.str();  // none measured

  // The weights' casts, once per optimizer step, are named with their share of the step: 2 x 96 x
  // 0.25 ms = 48 ms an optimizer step, 12 ms of the step at M = 4 micro-batches.
  for (const char* name : {"qkv.cast_w", "mlp_up.cast_w", "qkv.cast_x"}) {
    results::KernelResult k;
    k.name = name;
    k.status = "ok";
    k.calls_per_step = 96;
    k.per_optimizer_step = std::string(name).ends_with(kFp8WeightCastSuffix);
    k.stats.median_ms = 0.25;
    r.kernels.push_back(k);
  }
  r.workload.micro_batches = 4;
  std::ostringstream with_casts;
  cli::print_step_summary(with_casts, r, load_sku("h100-sxm"));
  EXPECT_NE(with_casts.str().find("of which            12.000 ms  fp8 weight casts (*.cast_w), once per optimizer "
                                  "step in Transformer Engine: 1/4 of their 48.000 ms"),
            std::string::npos)
      << with_casts.str();

  r.workload.dtype = "bf16";
  std::ostringstream plain;
  cli::print_step_summary(plain, r, load_sku("h100-sxm"));
  EXPECT_NE(plain.str().find("(model FLOPs / h100-sxm bf16 peak)"), std::string::npos) << plain.str();
}

}  // namespace
}  // namespace tb
