// The optimizer step in a training step: Adam's bytes and element count by hand, micro-batches per
// optimizer step from the model's batch, and the 1/M share of what runs once per optimizer step.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/common/errors.hpp"
#include "harness/model/parameter_count.hpp"
#include "harness/results/step_consistency.hpp"
#include "harness/runner/step_runner.hpp"
#include "harness/workload/optimizer_step.hpp"
#include "harness/workload/workload.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/workload_ops.hpp"

namespace tb {
namespace {

using testing::find_op;

TEST(OptimizerStep, AdamMovesThirtyBytesPerParameterInMixedPrecision) {
  // Read: fp32 gradient 4 + master 4 + m 4 + v 4 = 16; written: master 4 + m 4 + v 4 + bf16 copy 2 = 14.
  EXPECT_DOUBLE_EQ(adam_bytes_per_param(DType::BF16), 16.0 + 14.0);
  EXPECT_DOUBLE_EQ(adam_bytes_per_param(DType::FP16), 30.0);
  // fp32 training: the weight is the master, no copy to write.
  EXPECT_DOUBLE_EQ(adam_bytes_per_param(DType::FP32), 16.0 + 12.0);
  const Op op = make_adam_op("adam", 1000, DType::BF16);
  EXPECT_EQ(op.kind, OpKind::AdamUpdate);
  EXPECT_TRUE(is_memory_bound(op.kind));
  EXPECT_DOUBLE_EQ(op.bytes, 30000.0);
  EXPECT_EQ(op.flops, 0);        // not counted for MFU or HFU
  EXPECT_EQ(op.model_flops, 0);
  EXPECT_TRUE(op.per_optimizer_step);
  EXPECT_FALSE(op.in_layer);     // no recomputation, no share of a layer
  EXPECT_EQ(op.shape_string(), "1000 params");
  EXPECT_EQ(make_adam_op("adam", 10, DType::TF32).dtype, DType::FP32);
}

TEST(OptimizerStep, ChunksAreBoundedAndCoverEveryParameter) {
  const int64_t cap = kAdamChunkParams;
  EXPECT_EQ(adam_chunks(100).chunks, 1);
  EXPECT_EQ(adam_chunks(100).params_per_chunk, 100);
  EXPECT_EQ(adam_chunks(static_cast<double>(cap)).chunks, 1);
  const AdamChunks over = adam_chunks(static_cast<double>(cap + 1));
  EXPECT_EQ(over.chunks, 2);
  EXPECT_EQ(over.params_per_chunk, cap / 2 + 1);
  EXPECT_EQ(adam_chunks(3.0 * static_cast<double>(cap)).chunks, 3);
  EXPECT_EQ(adam_chunks(0).chunks, 0);
}

// GPT-3 Small (12 layers, d 768, V 50257, s 2048, learned positions, tied embeddings) at tp 2.
// Parameters: 12·(12·768² + 13·768) + 50257·768 + 2048·768 + 2·768 = 125,226,240. Each tensor rank
// holds whole what Megatron-LM does not split: per layer the two LayerNorms (4·768) and the
// row-parallel biases (attention output, MLP down: 2·768), the final norm (2·768) and the learned
// positions (2048·768): 1,629,696; half of the rest; and the vocabulary padding rows Megatron-LM
// adds at tp 2 (50,257 to 50,432, a multiple of 128·2): 175·768/2. 63,495,168 in all: 4 chunks of
// 15,873,792.
TEST(OptimizerStep, WorkloadUpdatesThisGpusShareOfTheParameters) {
  const double d = 768, layers = 12, vocab = 50257, seq = 2048;
  const double total = layers * (12 * d * d + 13 * d) + vocab * d + seq * d + 2 * d;
  ASSERT_DOUBLE_EQ(total, 125226240.0);
  const double replicated = layers * 6 * d + 2 * d + seq * d;
  ASSERT_DOUBLE_EQ(replicated, 1629696.0);
  const double on_gpu = (total - replicated) / 2 + replicated + (50432 - vocab) * d / 2;
  ASSERT_DOUBLE_EQ(on_gpu, 63495168.0);
  const ModelConfig model = load_model("gpt3-small");
  EXPECT_DOUBLE_EQ(optimizer_params_per_gpu(model, 2, 1, 1, false), on_gpu);

  const Workload w = build_workload(model, {.tensor_parallel = 2, .micro_batch = 1});
  const Op& adam = find_op(w, kAdamOpName);
  EXPECT_EQ(adam.calls_per_step, 4);
  EXPECT_EQ(adam.memory.cols, 15873792);
  EXPECT_DOUBLE_EQ(static_cast<double>(adam.calls_per_step * adam.memory.cols), on_gpu);
  EXPECT_DOUBLE_EQ(adam.bytes, 30.0 * 15873792);
  EXPECT_EQ(adam.dtype, DType::BF16);

  // dp 4: the distributed optimizer (ZeRO-1) updates a quarter on each rank.
  const Workload sharded = build_workload(model, {.tensor_parallel = 2, .micro_batch = 1, .data_parallel = 4});
  const Op& quarter = find_op(sharded, kAdamOpName);
  EXPECT_EQ(quarter.calls_per_step, 1);
  EXPECT_EQ(quarter.memory.cols, 15873792);
}

TEST(OptimizerStep, ExpertsShardOverTheRanksHoldingThem) {
  const ModelConfig model = load_model("mixtral-8x7b");
  const GpuParams p = params_per_gpu(model, 2, 1, 4);
  const double padding = static_cast<double>(padded_vocab(model, 2) - model.vocab) * static_cast<double>(model.hidden) / 2 *
                         (model.tied_embeddings ? 1 : 2);
  EXPECT_DOUBLE_EQ(optimizer_params_per_gpu(model, 2, 4, 4, false), p.shared + padding + p.experts);
  // dp 8 over ep 4: the shared weights over 8 ranks, the experts over the 2 that hold the same ones.
  EXPECT_DOUBLE_EQ(optimizer_params_per_gpu(model, 2, 4, 8, true), (p.shared + padding) / 8 + p.experts / 2);
}

TEST(OptimizerStep, MicroBatchesComeFromTheModelsBatch) {
  const ModelConfig gpt3 = load_model("gpt3-175b");
  ASSERT_TRUE(gpt3.batch_sequences);
  ASSERT_EQ(*gpt3.batch_sequences, 1536);  // GPT-3 Table 2.1: 3.2M tokens of 2048
  EXPECT_EQ(resolve_micro_batches(gpt3, 1, 2048, 1, std::nullopt).count, 1536);
  EXPECT_EQ(resolve_micro_batches(gpt3, 2, 2048, 8, std::nullopt).count, 96);
  EXPECT_EQ(resolve_micro_batches(gpt3, 1, 2048, 16, std::nullopt).count, 96);
  EXPECT_NE(resolve_micro_batches(gpt3, 1, 2048, 1, std::nullopt).why.find("1536"), std::string::npos);
  EXPECT_EQ(resolve_micro_batches(gpt3, 5, 2048, 1, std::optional<int64_t>(7)).count, 7);  // given wins
  try {
    resolve_micro_batches(gpt3, 5, 2048, 1, std::nullopt);  // 1536 is not a multiple of 5
    FAIL() << "a batch that b x dp does not divide was accepted";
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("--micro-batch 5"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--micro-batches"), std::string::npos) << msg;
  }
  // At another sequence length the batch is its 3,145,728 tokens: 24576 micro-batches of 128
  // tokens (run's CPU default), 24197.9 of 130 rounded down, and 12 at b 8 x seq 2048 x dp 16.
  EXPECT_EQ(resolve_micro_batches(gpt3, 1, 128, 1, std::nullopt).count, 24576);
  EXPECT_NE(resolve_micro_batches(gpt3, 1, 128, 1, std::nullopt).why.find("x 2048 tokens / (micro-batch 1 x seq 128"),
            std::string::npos);
  const MicroBatches odd = resolve_micro_batches(gpt3, 1, 130, 1, std::nullopt);
  EXPECT_EQ(odd.count, 24197);
  EXPECT_NE(odd.why.find("rounded down"), std::string::npos) << odd.why;
  EXPECT_EQ(resolve_micro_batches(gpt3, 8, 2048, 16, std::nullopt).count, 12);
  EXPECT_EQ(resolve_micro_batches(gpt3, 3, 1024, 1024, std::nullopt).count, 1);  // 3,145,728 tokens a micro-batch
  try {  // more tokens a micro-batch than the batch holds: refused, not 0 micro-batches
    resolve_micro_batches(gpt3, 4096, 512, 1024, std::nullopt);
    FAIL() << "a micro-batch larger than the batch was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--micro-batch 4096 x --seq 512 x --dp 1024 tokens is more than gpt3-175b's "
                                         "batch of 1536 sequences x 2048 tokens"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(resolve_micro_batches(gpt3, 1, 2048, 1, std::optional<int64_t>(0)), UsageError);
  EXPECT_THROW(resolve_micro_batches(gpt3, 1, 2048, 1, std::optional<int64_t>(-2)), UsageError);
  const ModelConfig opt = load_model("opt-175b");
  ASSERT_FALSE(opt.batch_sequences);
  const MicroBatches none = resolve_micro_batches(opt, 1, 2048, 1, std::nullopt);
  EXPECT_EQ(none.count, 1);
  EXPECT_NE(none.why.find("no batch"), std::string::npos) << none.why;
  // A batch the maker did not publish is assumed in the config, and M's reason repeats why:
  // Llama 3 8B's 4M tokens = 512 x 8192, 64 micro-batches of 8 sequences.
  const ModelConfig llama = load_model("llama3-8b");
  ASSERT_EQ(llama.batch_sequences, std::optional<int64_t>(512));
  ASSERT_FALSE(llama.batch_assumed.empty());
  const MicroBatches assumed = resolve_micro_batches(llama, 8, 8192, 1, std::nullopt);
  EXPECT_EQ(assumed.count, 64);
  EXPECT_NE(assumed.why.find("(assumed: " + llama.batch_assumed + ")"), std::string::npos) << assumed.why;
  EXPECT_NE(resolve_micro_batches(llama, 1, 1024, 1, std::nullopt).why.find("assumed"), std::string::npos);
  EXPECT_EQ(resolve_micro_batches(gpt3, 1, 2048, 1, std::nullopt).why.find("assumed"), std::string::npos);
}

TEST(OptimizerStep, BadDataParallelOrMicroBatchesAreRefused) {
  const ModelConfig moe = load_model("mixtral-8x7b");
  EXPECT_THROW(build_workload(moe, {.tensor_parallel = 1, .expert_parallel = 4, .data_parallel = 6}), UsageError);
  EXPECT_NO_THROW(build_workload(moe, {.tensor_parallel = 1, .expert_parallel = 4, .data_parallel = 8}));
  // dp left at 0 takes ep.
  EXPECT_EQ(build_workload(moe, {.tensor_parallel = 1, .expert_parallel = 4}).options.data_parallel, 4);
  const ModelConfig gpt = load_model("gpt3-small");
  EXPECT_THROW(build_workload(gpt, {.tensor_parallel = 1, .data_parallel = -1}), UsageError);
  EXPECT_THROW(build_workload(gpt, {.tensor_parallel = 1, .micro_batches = 0}), UsageError);
}

TEST(OptimizerStep, Fp8WeightCastsAndAdamRunOncePerOptimizerStep) {
  const Workload w = build_workload(load_model("gpt3-xl"), {.tensor_parallel = 1, .dtype = DType::FP8});
  int per_step = 0;
  for (const auto& op : w.ops) {
    const bool once = op.name.ends_with(kFp8WeightCastSuffix) || op.name == kAdamOpName;
    EXPECT_EQ(op.per_optimizer_step, once) << op.name;
    per_step += once;
  }
  EXPECT_EQ(per_step, 4 + 1);  // qkv, attn_out, mlp_up, mlp_down weight casts; Adam
}

results::KernelResult at(const Op& op, double median_ms) {
  results::KernelResult k;
  k.name = op.name;
  k.status = "ok";
  k.flops = op.flops;
  k.model_flops = op.model_flops;
  k.calls_per_step = op.calls_per_step;
  k.per_optimizer_step = op.per_optimizer_step;
  k.stats.median_ms = median_ms;
  return k;
}

// Every kernel at 1 ms: GPT-3 Small at tp 2, seq 256, M = 8. Per micro-batch: 12 layers x (4
// GEMM triplets: 12 calls; attention fwd, bwd: 2; norms 2 x 2; GeLU 2; residual 4) + logits 3 +
// final norms 2 + cross-entropy 1 = 12 x 24 + 6 = 294 calls; Adam's 4 chunks once per optimizer
// step: 4/8. Step 294.5 ms; tokens/s per GPU 256 / 0.2945 s / 2; FLOPs without Adam's (none).
TEST(OptimizerStep, TheStepTakesOneMthOfWhatRunsOncePerOptimizerStep) {
  const Workload w = build_workload(load_model("gpt3-small"),
                                    {.tensor_parallel = 2, .micro_batch = 1, .seq_len = 256, .micro_batches = 8});
  std::vector<results::KernelResult> ks;
  double flops = 0;
  for (const auto& op : w.ops) {
    ks.push_back(at(op, 1.0));
    flops += hardware_flops(op) * static_cast<double>(op.calls_per_step);
  }
  EXPECT_DOUBLE_EQ(w.calls_per_micro_batch(find_op(w, kAdamOpName)), 0.5);
  EXPECT_DOUBLE_EQ(w.calls_per_micro_batch(find_op(w, "qkv.fwd")), 12.0);
  const results::StepResult s = runner::summarize_step(w, ks, std::nullopt);
  EXPECT_DOUBLE_EQ(s.step_ms, 294.5);
  EXPECT_DOUBLE_EQ(s.tokens_per_s, 256.0 / 0.2945 / 2);
  EXPECT_DOUBLE_EQ(s.hardware_flops, flops);
  // Only Adam's time scales with M: at M = 1 it is charged in full.
  const Workload full = build_workload(load_model("gpt3-small"), {.tensor_parallel = 2, .seq_len = 256});
  EXPECT_DOUBLE_EQ(runner::summarize_step(full, ks, std::nullopt).step_ms, 298.0);
}

// A whole GPT-3 175B file with the Adam update at M = 96 (SYNTHETIC, roofline-timed): every
// reader's check accepts its step; the same file with Adam charged in full to the micro-batch is
// refused.
TEST(OptimizerStep, ReadersAcceptTheShareAndRefuseAStepAtOddsWithIt) {
  testing::SyntheticRunSpec spec;
  spec.micro_batches = 96;
  results::RunResults r = testing::synthetic_run(spec);
  EXPECT_NO_THROW(results::require_consistent_results(r, "synthetic.json"));
  const auto adam = std::find_if(r.kernels.begin(), r.kernels.end(), [](const auto& k) { return k.name == "adam"; });
  ASSERT_NE(adam, r.kernels.end());
  EXPECT_TRUE(adam->per_optimizer_step);
  EXPECT_EQ(adam->calls_per_step, 1303);  // test_step_summary.cpp counts them by hand
  r.step->step_ms += static_cast<double>(adam->calls_per_step) * adam->stats.median_ms * (1.0 - 1.0 / 96);
  EXPECT_THROW(results::require_consistent_step(r, "synthetic.json"), UsageError);
}

}  // namespace
}  // namespace tb
