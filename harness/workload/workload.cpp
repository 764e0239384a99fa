#include "harness/workload/workload.hpp"

#include <fmt/format.h>

#include <cmath>

#include "harness/common/errors.hpp"
#include "harness/workload/optimizer_step.hpp"

namespace tb {

const char* to_string(Recompute mode) {
  switch (mode) {
    case Recompute::None: return "none";
    case Recompute::Selective: return "selective";
    case Recompute::Full: return "full";
  }
  return "?";
}

Recompute parse_recompute(const std::string& text, const std::string& what) {
  if (text == "none") return Recompute::None;
  if (text == "selective") return Recompute::Selective;
  if (text == "full") return Recompute::Full;
  throw UsageError(fmt::format("{}: unknown recompute mode '{}'; accepted values: none, selective, full",
                               what, text));
}

DType layer_gemm_dtype(DType training) { return training; }
DType non_gemm_dtype(DType training) { return training == DType::FP8 ? DType::BF16 : training; }
DType mfu_peak_dtype(DType training) { return non_gemm_dtype(training); }

namespace {

struct Builder {
  Workload& w;

  // `model_share`: the fraction of the FLOPs that are the model's (padding columns are not).
  // `layer_linear`: one of the transformer layers' linear GEMMs (fp8 under the fp8 recipe); the
  // router and the logits are not. `batch`: that many equal GEMMs in one launch (the routed
  // experts' grouped GEMM), each of `tokens` rows and its own in x out weight.
  void gemm_triplet(const std::string& stem, int64_t tokens, int64_t in, int64_t out, int64_t calls,
                    bool in_layer, double model_share = 1.0, bool layer_linear = true, int64_t batch = 1) {
    const DType dtype = layer_linear ? layer_gemm_dtype(w.options.dtype) : non_gemm_dtype(w.options.dtype);
    // The weight gradient is as many FLOPs as the forward; so is the data gradient.
    const GemmShape shapes[3] = {{tokens, out, in, GemmLayout::Forward, batch},
                                 {tokens, in, out, GemmLayout::DataGrad, batch},
                                 {in, out, tokens, GemmLayout::WeightGrad, batch}};
    for (const auto& g : shapes) {
      Op op = make_gemm_op(fmt::format("{}.{}", stem, to_string(g.layout)), g, dtype);
      op.calls_per_step = calls;
      op.in_layer = in_layer;
      op.model_flops = op.flops * model_share;
      w.ops.push_back(op);
    }
    if (dtype != DType::FP8) return;
    // Transformer Engine casts each fp8 GEMM's input X (forward, e4m3) and output gradient dY
    // (backward, e5m2 under its default HYBRID format) to fp8, as is and transposed (the weight
    // gradient's operands): bf16 read, two fp8 written, 4 bytes per element. Where TE fuses a cast
    // into the norm or activation kernel before it, this standalone cast is an upper bound on what
    // it costs. A batch's groups are cast together, one tensor of all their rows (TE's
    // GroupedLinear casts its groups' inputs in one multi-tensor kernel).
    for (const bool forward : {true, false}) {
      Op op = make_fp8_cast_op(fmt::format("{}.cast_{}", stem, forward ? "x" : "dy"),
                               {tokens * batch, forward ? in : out},
                               forward ? fp8_gemm_operands(GemmLayout::Forward).a
                                       : fp8_gemm_operands(GemmLayout::DataGrad).a);
      op.calls_per_step = calls;
      op.in_layer = in_layer;
      op.is_forward = forward;
      w.ops.push_back(op);
    }
    // The weight W (this GPU's in x out shard of the bf16 master weights) cast to e4m3 as is (the
    // forward's operand) and transposed (the data gradient's). TE does it once per optimizer step
    // and keeps the fp8 copies for the step's other micro-batches (Linear.forward's
    // is_first_microbatch, which Megatron-Core sets; TE user guide, "FP8 weight caching"), so the
    // step of one micro-batch takes 1/M of it (per_optimizer_step). Recomputation re-runs no
    // weight cast: the cached copy serves it.
    Op cast_w = make_fp8_cast_op(stem + kFp8WeightCastSuffix, {in * batch, out},
                                 fp8_gemm_operands(GemmLayout::Forward).b);
    cast_w.calls_per_step = calls;
    cast_w.in_layer = in_layer;
    cast_w.is_forward = false;
    cast_w.per_optimizer_step = true;
    w.ops.push_back(cast_w);
  }

  // `model_share` as for GEMMs: under MLA the kernel runs V padded to the query/key width.
  void attention(const AttentionShape& shape, int64_t calls, double model_share = 1.0) {
    for (bool backward : {false, true}) {
      Op op = make_attention_op(backward ? "attention.bwd" : "attention.fwd", shape, non_gemm_dtype(w.options.dtype),
                                backward);
      op.calls_per_step = calls;
      op.model_flops *= model_share;
      w.ops.push_back(op);
    }
  }

  void memory_op(const std::string& name, OpKind kind, int64_t rows, int64_t cols, double tensors_moved,
                 int64_t calls, bool in_layer, bool is_forward) {
    Op op = make_memory_op(name, kind, {rows, cols}, non_gemm_dtype(w.options.dtype), tensors_moved);
    op.calls_per_step = calls;
    op.in_layer = in_layer;
    op.is_forward = is_forward;
    w.ops.push_back(op);
  }
};

}  // namespace

double tokens_per_expert(const ModelConfig& model, const WorkloadOptions& options) {
  if (!model.moe) return 0;
  const int64_t seq = options.seq_len > 0 ? options.seq_len : model.seq_len;
  return static_cast<double>(options.expert_parallel) * static_cast<double>(options.micro_batch) *
         static_cast<double>(seq) * static_cast<double>(model.moe->experts_per_token) /
         static_cast<double>(model.moe->experts);
}

Workload build_workload(const ModelConfig& model, WorkloadOptions options) {
  validate_model(model, model.name);
  if (options.seq_len == 0) options.seq_len = model.seq_len;
  const int64_t t = options.tensor_parallel;
  if (t <= 0) throw UsageError(fmt::format("--tp must be a positive integer (got {})", t));
  if (options.micro_batch <= 0)
    throw UsageError(fmt::format("--micro-batch must be a positive integer (got {})", options.micro_batch));
  if (options.seq_len <= 0 || options.seq_len > (1 << 22))
    throw UsageError(fmt::format("--seq must be between 1 and {} (got {})", 1 << 22, options.seq_len));
  if (model.heads % t != 0)
    throw UsageError(fmt::format("--tp {} must divide the model's heads ({}) for {}", t, model.heads, model.name));
  if (model.kv_heads % t != 0 && t % model.kv_heads != 0)
    throw UsageError(fmt::format("--tp {} and kv_heads ({}) of {} must divide one another", t,
                                 model.kv_heads, model.name));
  if (model.ffn_hidden % t != 0)
    throw UsageError(fmt::format("--tp {} must divide ffn_hidden ({}) of {}", t, model.ffn_hidden, model.name));
  const int64_t e = options.expert_parallel;
  if (e < 1) throw UsageError(fmt::format("--ep must be a positive integer (got {})", e));
  if (!model.moe && e != 1)
    throw UsageError(fmt::format("--ep {}: {} has no experts (no [moe] table); expert parallelism needs a "
                                 "mixture-of-experts model",
                                 e, model.name));
  if (model.moe && model.moe->experts % e != 0)
    throw UsageError(fmt::format("--ep {} must divide the experts ({}) of {}", e, model.moe->experts, model.name));
  if (model.moe && model.moe->expert_ffn_hidden % t != 0)
    throw UsageError(fmt::format("--tp {} must divide moe.expert_ffn_hidden ({}) of {}", t,
                                 model.moe->expert_ffn_hidden, model.name));

  if (options.data_parallel == 0) options.data_parallel = e;
  const int64_t dp = options.data_parallel;
  if (dp < 1) throw UsageError(fmt::format("--dp must be a positive integer (got {})", dp));
  if (dp % e != 0)
    throw UsageError(fmt::format("--dp {} must be a multiple of --ep {}: expert ranks are drawn from the data-parallel "
                                 "ranks",
                                 dp, e));
  if (options.micro_batches < 1)
    throw UsageError(fmt::format("--micro-batches must be a positive integer (got {})", options.micro_batches));

  Workload w;
  w.model = model;
  w.options = options;
  Builder b{w};

  const int64_t tokens = options.micro_batch * options.seq_len;
  const int64_t d = model.hidden;
  const int64_t heads = model.heads / t;
  // With fewer KV heads than tensor-parallel ranks each rank holds one (replicated) KV head.
  const int64_t kv_heads = model.kv_heads >= t ? model.kv_heads / t : 1;
  const int64_t dh = model.head_dim;
  const int64_t f = model.ffn_hidden / t;
  const int64_t L = model.layers;
  const int64_t dense_layers = model.dense_mlp_layers();
  const int64_t moe_layers = model.moe_layers();
  const bool swiglu = model.mlp == MlpKind::SwiGlu;

  // Megatron-LM's column-parallel QKV and MLP-up, row-parallel output and MLP-down projections.
  if (model.mla) {
    // Multi-head latent attention as trained (DeepSeek-V2 §2.1, no absorption): the down-
    // projections to the latents are replicated on every tensor rank (a 1/t share is the model's),
    // the up-projections split by heads, the output projection row-parallel.
    const MlaConfig& a = *model.mla;
    const double replicated = 1.0 / static_cast<double>(t);
    if (a.q_lora_rank > 0) {
      b.gemm_triplet("q_down", tokens, d, a.q_lora_rank, L, true, replicated);
      b.gemm_triplet("q_up", tokens, a.q_lora_rank, heads * dh, L, true);
    } else {
      b.gemm_triplet("q_proj", tokens, d, heads * dh, L, true);
    }
    b.gemm_triplet("kv_down", tokens, d, a.kv_lora_rank + a.qk_rope_head_dim, L, true, replicated);
    b.gemm_triplet("kv_up", tokens, a.kv_lora_rank, heads * (a.qk_nope_head_dim + a.v_head_dim), L, true);
    // This project's attention kernels take one head width: V is padded to the query/key width
    // (FlashAttention-2 does the same; FlashAttention-3 and cuDNN run 192/128 natively), the
    // padding hardware work only.
    b.attention({options.micro_batch, heads, heads, options.seq_len, dh, options.causal}, L,
                model.attention_dim() / static_cast<double>(dh));
    b.gemm_triplet("attn_out", tokens, heads * a.v_head_dim, d, L, true);
  } else {
    b.gemm_triplet("qkv", tokens, d, (heads + 2 * kv_heads) * dh, L, true);
    b.attention({options.micro_batch, heads, kv_heads, options.seq_len, dh, options.causal}, L);
    b.gemm_triplet("attn_out", tokens, heads * dh, d, L, true);
  }
  // SwiGLU's gate and up projections run as one GEMM of twice the width, as Megatron fuses them.
  if (dense_layers > 0) {
    b.gemm_triplet("mlp_up", tokens, d, swiglu ? 2 * f : f, dense_layers, true);
    b.gemm_triplet("mlp_down", tokens, f, d, dense_layers, true);
  }
  int64_t expert_tokens = 0, expert_f = 0;
  if (model.moe) {
    const MoeConfig& moe = *model.moe;
    // Every tensor rank scores its tokens against all experts: the router's work is replicated t
    // ways, so one rank's share of it is model FLOPs.
    b.gemm_triplet("router", tokens, d, moe.experts, moe_layers, true, 1.0 / static_cast<double>(t), false);
    // Each local expert's GEMMs over the tokens routed to it, rounded up to whole rows (the rows
    // past the balanced share are hardware work, not model FLOPs). Experts are tensor-parallel t
    // ways like the dense MLP (Megatron-Core with expert tensor parallelism = tp). All local
    // experts of a layer run as one grouped GEMM (Megatron-Core's --moe-grouped-gemm: TE's
    // GroupedLinear, or CUTLASS grouped GEMM); with balanced routing every group has the same
    // rows, so a strided batched GEMM of experts/e groups stands for it. Unequal routing, whose
    // groups differ in rows, is not modelled.
    const double routed = tokens_per_expert(model, options);
    expert_tokens = static_cast<int64_t>(std::ceil(routed - 1e-9));
    if (layer_gemm_dtype(options.dtype) == DType::FP8)
      // cuBLASLt's fp8 alignment: the routed rows rounded up to it (hardware work only).
      expert_tokens = (expert_tokens + kFp8GemmAlignment - 1) / kFp8GemmAlignment * kFp8GemmAlignment;
    expert_f = moe.expert_ffn_hidden / t;
    const double share = routed / static_cast<double>(expert_tokens);
    const int64_t local_experts = moe.experts / e;
    b.gemm_triplet("expert_up", expert_tokens, d, swiglu ? 2 * expert_f : expert_f, moe_layers, true, share, true,
                   local_experts);
    b.gemm_triplet("expert_down", expert_tokens, expert_f, d, moe_layers, true, share, true, local_experts);
    if (moe.shared_experts > 0) {
      // Shared experts see every token: one GEMM as wide as all of them (DeepSeekMoE).
      const int64_t shared_f = moe.shared_experts * expert_f;
      b.gemm_triplet("shared_up", tokens, d, swiglu ? 2 * shared_f : shared_f, moe_layers, true);
      b.gemm_triplet("shared_down", tokens, shared_f, d, moe_layers, true);
    }
  }
  // Vocabulary-parallel logits over the padded vocabulary, as Megatron-LM lays it out: the
  // padding is hardware work, not model FLOPs.
  const int64_t vocab_padded = padded_vocab(model, t);
  const int64_t vocab_shard = vocab_padded / t;
  // Megatron-Core keeps the output layer out of Transformer Engine: bf16 under the fp8 recipe.
  b.gemm_triplet("logits", tokens, d, vocab_shard, 1, false,
                 static_cast<double>(model.vocab) / static_cast<double>(vocab_padded), false);

  const bool layer_norm = model.norm == NormKind::LayerNorm;
  const OpKind norm_fwd = layer_norm ? OpKind::LayerNormForward : OpKind::RmsNormForward;
  const OpKind norm_bwd = layer_norm ? OpKind::LayerNormBackward : OpKind::RmsNormBackward;
  // Two norms per layer plus the final one. Bytes: fwd reads x, writes y; bwd reads x, dy, writes dx.
  b.memory_op("norm.fwd", norm_fwd, tokens, d, 2, 2 * L + 1, true, true);
  b.memory_op("norm.bwd", norm_bwd, tokens, d, 3, 2 * L + 1, true, false);
  // The MLP activation of the dense layers, the routed experts (all local experts' rows together:
  // b·s·k per GPU) and the shared experts.
  auto activation = [&](const std::string& stem, int64_t rows, int64_t cols, int64_t calls) {
    if (calls <= 0) return;
    if (swiglu) {
      b.memory_op(stem + "swiglu.fwd", OpKind::SwiGluForward, rows, cols, 3, calls, true, true);   // gate, up → h
      b.memory_op(stem + "swiglu.bwd", OpKind::SwiGluBackward, rows, cols, 5, calls, true, false);  // gate, up, dh → dgate, dup
    } else {
      b.memory_op(stem + "gelu.fwd", OpKind::GeluForward, rows, cols, 2, calls, true, true);
      b.memory_op(stem + "gelu.bwd", OpKind::GeluBackward, rows, cols, 3, calls, true, false);
    }
  };
  activation("", tokens, f, dense_layers);
  if (model.moe) {
    activation("expert_", expert_tokens * (model.moe->experts / e), expert_f, moe_layers);
    activation("shared_", tokens, model.moe->shared_experts * expert_f, model.moe->shared_experts > 0 ? moe_layers : 0);
  }
  // Two residual adds forward, two gradient accumulations backward, per layer.
  b.memory_op("residual_add", OpKind::ResidualAdd, tokens, d, 3, 4 * L, true, true);
  b.memory_op("cross_entropy", OpKind::CrossEntropyForwardBackward, tokens, vocab_shard, 2, 1, false, false);
  // The optimizer step: AdamW over this GPU's parameters (1/dp of them under the distributed
  // optimizer), measured a bounded chunk at a time.
  const AdamChunks adam = adam_chunks(optimizer_params_per_gpu(model, t, e, dp, dp > 1));
  Op adam_op = make_adam_op(kAdamOpName, adam.params_per_chunk, non_gemm_dtype(options.dtype));
  adam_op.calls_per_step = adam.chunks;
  w.ops.push_back(adam_op);
  return w;
}

double Workload::calls_per_micro_batch(const Op& op) const {
  const double calls = static_cast<double>(op.calls_per_step);
  return op.per_optimizer_step ? calls / static_cast<double>(options.micro_batches) : calls;
}

double Workload::model_flops_per_step() const {
  double sum = 0;
  for (const auto& op : ops) sum += op.model_flops * calls_per_micro_batch(op);
  return sum;
}

double Workload::executed_flops_per_step() const {
  double sum = 0;
  for (const auto& op : ops) sum += op.flops * calls_per_micro_batch(op);
  return sum;
}

static bool recomputed(const Op& op, Recompute mode) {
  switch (mode) {
    case Recompute::None: return false;
    case Recompute::Selective: return op.attention_core;
    case Recompute::Full: return op.in_layer && op.is_forward;
  }
  return false;
}

double Workload::hardware_flops_per_step(Recompute mode) const {
  double sum = 0;
  for (const auto& op : ops) {
    const double calls = calls_per_micro_batch(op);
    sum += hardware_flops(op) * calls;
    if (recomputed(op, mode)) sum += hardware_flops(op) * calls;
  }
  return sum;
}

double Workload::model_flops_with_recompute_per_step(Recompute mode) const {
  double sum = model_flops_per_step();
  for (const auto& op : ops)
    if (recomputed(op, mode)) sum += op.model_flops * calls_per_micro_batch(op);
  return sum;
}

}  // namespace tb
