#include "harness/estimate/memory_footprint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "harness/comm/comm_model.hpp"
#include "harness/comm/estimate_scaling.hpp"
#include "harness/common/errors.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb {

const char* to_string(AttentionStorage storage) {
  return storage == AttentionStorage::Fused ? "fused" : "unfused";
}

AttentionStorage parse_attention_storage(const std::string& text, const std::string& what) {
  if (text == "fused") return AttentionStorage::Fused;
  if (text == "unfused") return AttentionStorage::Materialized;
  throw UsageError(fmt::format("{} must be fused or unfused (got '{}')", what, text));
}

int parse_grad_bytes(const std::string& text, const std::string& what) {
  if (text == "bf16") return 2;
  if (text == "fp32") return 4;
  throw UsageError(fmt::format("{} must be bf16 or fp32 (got '{}')", what, text));
}

const char* to_string(MemoryVerdict verdict) {
  switch (verdict) {
    case MemoryVerdict::Fits: return "fits";
    case MemoryVerdict::Tight: return "tight";
    case MemoryVerdict::DoesNotFit: return "does not fit";
  }
  return "?";
}

namespace {

struct Dims {
  double s;       // tokens of each sequence on this GPU: s/c with c-way context parallelism
  double s_keys;  // keys each query attends over: the whole sequence
  double b, d, q, kv, o, f, a, v, t;
  double act_shards;   // what sequence parallelism splits: t with it, else 1
  bool dropout;
};

Dims dims_of(const MemoryRequest& r) {
  const ModelConfig& m = r.model;
  Dims x{};
  x.s_keys = static_cast<double>(r.layout.seq_len > 0 ? r.layout.seq_len : m.seq_len);
  x.s = x.s_keys / static_cast<double>(r.layout.cp);
  x.b = static_cast<double>(r.layout.micro_batch_size);
  x.d = static_cast<double>(m.hidden);
  x.q = static_cast<double>(m.query_width());
  x.kv = m.kv_width();
  x.o = static_cast<double>(m.heads * m.value_head_dim());
  x.f = static_cast<double>(m.ffn_hidden);
  x.a = static_cast<double>(m.heads);
  // Megatron-LM allocates the padded vocabulary (embedding, output layer, logits).
  x.v = static_cast<double>(padded_vocab(m, r.layout.tp));
  x.t = static_cast<double>(r.layout.tp);
  x.act_shards = r.sequence_parallel ? x.t : 1.0;
  x.dropout = m.dropout > 0;
  return x;
}

// One layer's activations kept for the backward, with the attention scores as `storage` says.
double layer_bytes(const MemoryRequest& r, AttentionStorage storage, bool keep_scores) {
  const Dims x = dims_of(r);
  const double sb = x.s * x.b;
  const double mask = x.dropout ? 1.0 : 0.0;  // a 1-byte mask per dropped element
  // Bytes per element of an fp8 GEMM's input saved for its weight gradient: TE keeps the fp8 copy
  // it cast (1 B) instead of the bf16 tensor.
  const double gemm_in = r.fp8 ? 1.0 : 2.0;
  // An MoE layer's second norm output feeds the router, a bf16 GEMM, not an fp8 one.
  const double mlp_in = r.model.moe ? 2.0 : gemm_in;
  // Tensors tensor parallelism does not split (only sequence parallelism does): the two norms'
  // inputs, the inputs of the QKV and first MLP projections (the norms' outputs), and the masks
  // of the attention-output and MLP-output dropouts.
  double unsplit = (2 * 2 + gemm_in + mlp_in) * sb * x.d + 2 * mask * sb * x.d;
  // Split over the t tensor ranks: Q, K, V, the output projection's input, the MLP's inner tensors
  // (GeLU: its input and output; SwiGLU: gate and up outputs and their product; the last, the
  // down projection's input, in fp8 under TE, the others kept in bf16 for the activation's
  // backward).
  const double inner = (r.model.mlp == MlpKind::SwiGlu ? 4.0 : 2.0) + gemm_in;
  double mlp = inner * sb * x.f;
  double dispatched = 0;  // split by neither t nor sequence parallelism
  if (const auto& moe = r.model.moe) {
    // An MoE layer (the stage is costed as if all its layers were): the router's fp32 scores; each
    // token's k dispatched copies (the experts' input) and their k outputs (the combine's backward
    // needs them for the router's gradient); the routed and shared experts' inner tensors, k and
    // `shared` MLPs of expert_ffn_hidden per token.
    const double k = static_cast<double>(moe->experts_per_token);
    const double fe = static_cast<double>(moe->expert_ffn_hidden);
    // The router runs on each rank's shard of the sequence; the dispatched tokens are gathered
    // over the tensor ranks before the experts (Megatron-Core's token dispatcher), whole on each.
    unsplit += 4 * sb * static_cast<double>(moe->experts);
    dispatched = (gemm_in + 2) * sb * k * x.d;
    mlp = inner * sb * (k + static_cast<double>(moe->shared_experts)) * fe;
  }
  // K and V heads fewer than the tensor ranks are replicated, not split further.
  const double kv_heads = static_cast<double>(r.model.kv_heads);
  const double kv_split = x.kv * x.t / std::min(x.t, kv_heads);
  if (const auto& mla = r.model.mla) {
    // The latents (the up-projections' inputs, replicated on the tensor ranks) and their norms'
    // inputs; the shared rotary key.
    const double latents = static_cast<double>(mla->q_lora_rank + mla->kv_lora_rank);
    unsplit += (2 + gemm_in) * sb * latents + 2 * sb * static_cast<double>(mla->qk_rope_head_dim);
  }
  // The attention output: bf16 for the attention backward, and under fp8 also the output
  // projection's fp8 copy of it.
  const double attention_out = r.fp8 ? 3.0 : 2.0;
  const double split = 2 * sb * x.q + 4 * sb * kv_split + attention_out * sb * x.o + mlp;
  double scores = 0;
  if (storage == AttentionStorage::Materialized) {
    // softmax output (bf16), and with dropout its mask and its output: 2 + 1 + 2 bytes per score
    if (keep_scores) scores = (2 + 3 * mask) * x.a * x.s * x.s_keys * x.b;
  } else {
    scores = 4 * x.a * x.s * x.b;  // fp32 log-sum-exp per query row and head
  }
  return unsplit / x.act_shards + dispatched + (split + scores) / x.t;
}

StageMemory stage_memory(const MemoryRequest& r, int64_t stage, double per_layer_activation) {
  const ModelConfig& m = r.model;
  const Dims x = dims_of(r);
  const ParameterCount pc = count_parameters(m);
  const int64_t p = r.layout.pp;
  const bool first = stage == 0;
  const bool last = stage == p - 1;

  StageMemory st;
  st.stage = stage;
  st.layers = comm::layers_per_stage(r.layout, m);  // the busiest stage's, for uneven splits too
  st.micro_batches_in_flight = std::min<int64_t>(p - stage, r.layout.micro_batches);
  // Weights: the layers' matrices split t ways, but for what every tensor rank holds whole (the
  // norms, the row-parallel biases, the MoE router, MLA's down-projections); the token embedding
  // is vocabulary-parallel; learned positions replicated.
  // MoE layers (as many on this stage as there can be) split their routed experts e ways more.
  const int64_t moe_layers = std::min(st.layers, m.moe_layers());
  const double e = static_cast<double>(r.layout.ep);
  st.expert_params = static_cast<double>(moe_layers) * pc.routed_experts_per_layer / (x.t * e);
  // What every tensor rank holds whole is not divided by t.
  const double dense_layer = pc.tp_replicated_per_layer + (pc.per_layer - pc.tp_replicated_per_layer) / x.t;
  const double moe_layer = pc.tp_replicated_per_moe_layer +
                           (pc.per_moe_layer - pc.routed_experts_per_layer - pc.tp_replicated_per_moe_layer) / x.t;
  st.params = static_cast<double>(st.layers - moe_layers) * dense_layer + static_cast<double>(moe_layers) * moe_layer +
              st.expert_params;
  const double token_embedding = x.v * x.d;
  const double positions = pc.embeddings - static_cast<double>(m.vocab) * x.d;
  if (first) st.params += token_embedding / x.t + positions;
  if (last) {
    st.params += pc.final_norm;
    // Untied: its own projection (vocabulary x hidden, as the embedding). Tied across stages:
    // Megatron-LM keeps a copy of the embedding on the last stage and all-reduces its gradient
    // with the first.
    if (!m.tied_embeddings || p > 1) st.params += token_embedding / x.t;
  }
  // ZeRO shards over every rank holding the same weights: the data and the context ranks, and for
  // the experts the c·d/e of them that hold the same experts.
  const double dp = static_cast<double>(r.layout.dp * r.layout.cp);
  auto sharded = [&](double bytes_per_param, int from_stage) {
    const double shared = st.params - st.expert_params;
    if (r.zero_stage < from_stage) return st.params * bytes_per_param;
    return shared * bytes_per_param / dp + st.expert_params * bytes_per_param / (dp / e);
  };
  st.weight_bytes = sharded(kWeightBytesPerParam, 3);
  if (r.zero_stage == 3 && r.zero3_keep_gathered) {
    // FSDP with reshard_after_forward=False frees a layer's gathered weights only after its
    // backward: by the last forward layer every layer of the stage is whole (this GPU's tensor
    // shard of them), and 1F1B keeps some micro-batch between its forward and backward throughout.
    st.gathered_weight_bytes = st.params * kWeightBytesPerParam;
    st.weight_bytes += st.gathered_weight_bytes;
  }
  if (r.fp8) {
    // The layers' linear weights on this GPU (all of its layer parameters but the bf16 router;
    // norms and biases, under 0.1% of them, are counted with them): whole on every GPU, cached.
    const double layer_params = static_cast<double>(st.layers - moe_layers) * dense_layer +
                                static_cast<double>(moe_layers) * (moe_layer - pc.router_per_layer) +
                                st.expert_params;
    st.fp8_weight_bytes = kFp8WeightCopyBytesPerParam * layer_params;
    st.weight_bytes += st.fp8_weight_bytes;
  }
  st.gradient_bytes = sharded(r.grad_bytes, 2);
  st.optimizer_bytes = sharded(kOptimizerBytesPerParam, 1);

  const double sb = x.s * x.b;
  double in_flight = static_cast<double>(st.micro_batches_in_flight);
  // Interleaved 1F1B keeps more in flight on the first stage: L·(1 + (p−1)/(p·v)) layers' worth
  // (Korthikanti et al. 2022 §4.2.3), i.e. p + (p−1)/v micro-batches of its L/p layers.
  const double v = static_cast<double>(r.layout.virtual_stages);
  if (first && r.layout.virtual_stages > 1)
    in_flight = static_cast<double>(p) + (static_cast<double>(p) - 1.0) / v;
  st.micro_batches_in_flight = static_cast<int64_t>(std::ceil(in_flight));
  double act = in_flight * static_cast<double>(st.layers) * per_layer_activation;
  if (r.recompute == Recompute::Full) {
    // The backward re-runs one layer's forward at a time: that layer's activations are live too.
    MemoryRequest whole = r;
    whole.recompute = Recompute::None;
    act += layer_activation_bytes(whole);
  }
  if (first && x.dropout) act += in_flight * sb * x.d / x.act_shards;  // embedding-dropout mask
  if (last) act += 4 * sb * x.d / x.t + 4 * sb * x.v / x.t;           // output layer, fp32 logits
  st.activation_bytes = act;
  return st;
}

void check_request(const MemoryRequest& r) {
  comm::validate_layout(r.layout, r.model);
  if (r.grad_bytes != 2 && r.grad_bytes != 4)
    throw UsageError(fmt::format("--grad-dtype must be bf16 or fp32 (got {} bytes)", r.grad_bytes));
  comm::check_zero_stage(r.zero_stage, r.zero3_keep_gathered);
}

}  // namespace

double layer_activation_bytes(const MemoryRequest& r) {
  if (r.recompute == Recompute::Full) {
    const Dims x = dims_of(r);
    return 2 * x.s * x.b * x.d / x.act_shards;  // the layer's input, what is kept
  }
  return layer_bytes(r, r.attention, /*keep_scores=*/r.recompute == Recompute::None);
}

MemoryFootprint memory_footprint(const MemoryRequest& request) {
  MemoryRequest r = request;
  if (r.layout.seq_len <= 0) r.layout.seq_len = r.model.seq_len;
  if (r.layout.tp == 1) r.sequence_parallel = false;
  check_request(r);
  MemoryFootprint out;
  out.request = r;
  out.layer_activation_bytes = layer_activation_bytes(r);
  out.first = stage_memory(r, 0, out.layer_activation_bytes);
  out.last = r.layout.pp == 1 ? out.first : stage_memory(r, r.layout.pp - 1, out.layer_activation_bytes);
  out.model_state_bytes =
      count_parameters(r.model).total * state_bytes_per_param(r.grad_bytes);
  return out;
}

double gib_to_bytes(double gib) { return gib * 1024.0 * 1024.0 * 1024.0; }

MemoryFit judge_fit(double bytes, double capacity_gib) {
  if (!(capacity_gib > 0)) throw UsageError(fmt::format("GPU memory must be positive (got {} GiB)", capacity_gib));
  MemoryFit fit;
  fit.capacity_bytes = gib_to_bytes(capacity_gib);
  fit.used_fraction = bytes / fit.capacity_bytes;
  fit.verdict = fit.used_fraction > 1.0              ? MemoryVerdict::DoesNotFit
                : fit.used_fraction > kTightFraction ? MemoryVerdict::Tight
                                                     : MemoryVerdict::Fits;
  return fit;
}

int64_t min_gpus_to_hold(double model_state_bytes, double capacity_gib) {
  return static_cast<int64_t>(std::ceil(model_state_bytes / gib_to_bytes(capacity_gib) - 1e-9));
}

std::optional<std::string> suggest_fitting_layout(const MemoryRequest& request, double capacity_gib,
                                                  const SuggestionRules& rules) {
  const int64_t layers = request.model.layers;
  std::vector<int> zero_stages{request.zero_stage};
  if (request.layout.dp * request.layout.cp > 1 && request.zero_stage < 1) zero_stages.push_back(1);
  // Fewest pipeline stages first (each adds bubble); at each, sharding the optimizer first (free
  // of compute, Megatron-LM's distributed optimizer).
  for (int64_t pp = request.layout.pp; pp <= layers; ++pp) {
    MemoryRequest r = request;
    r.layout.pp = pp;
    if (rules.gpus) {
      if (*rules.gpus % (r.layout.tp * r.layout.cp * pp) != 0) continue;
      r.layout.dp = *rules.gpus / (r.layout.tp * r.layout.cp * pp);
      if ((r.layout.dp * r.layout.cp) % r.layout.ep != 0) continue;  // the experts need ep of the replicas
    }
    if (!rules.micro_batches_given) r.layout.micro_batches = comm::default_micro_batches(r.model.batch_sequences, r.layout);
    const int64_t v = r.layout.virtual_stages;  // interleaving: kept, where the schedule allows it
    if (v > 1 && (pp < 2 || pp * v > layers || ((layers + pp - 1) / pp) % v != 0 || r.layout.micro_batches % pp != 0))
      continue;
    for (int zero : zero_stages) {
      if (zero >= 1 && r.layout.dp * r.layout.cp == 1 && zero != request.zero_stage) continue;  // nothing to shard over
      r.zero_stage = zero;
      if (judge_fit(memory_footprint(r).peak().total_bytes(), capacity_gib).verdict != MemoryVerdict::Fits) continue;
      if (pp == request.layout.pp && zero == request.zero_stage) return std::nullopt;  // already fits
      std::string flags;
      if (pp != request.layout.pp) flags += fmt::format("--pp {}", pp);
      if (zero != request.zero_stage) flags += fmt::format("{}--zero {}", flags.empty() ? "" : " ", zero);
      return flags;
    }
  }
  return std::nullopt;
}

std::vector<std::string> other_ways_to_fit(const MemoryRequest& request, double capacity_gib, int gpus_per_server,
                                           std::optional<int64_t> gpus) {
  std::vector<std::string> ways;
  // With --gpus fixed, a wider tp or cp leaves fewer data-parallel ranks: dp = gpus / (tp·cp·pp),
  // where it divides (else that way is no layout of these GPUs).
  auto refit_dp = [&](MemoryRequest& r) {
    if (!gpus) return true;
    const int64_t model_parallel = r.layout.tp * r.layout.cp * r.layout.pp;
    if (*gpus % model_parallel != 0) return false;
    r.layout.dp = *gpus / model_parallel;
    return (r.layout.dp * r.layout.cp) % r.layout.ep == 0;
  };
  auto fits = [&](const MemoryRequest& r) {
    try {
      return judge_fit(memory_footprint(r).peak().total_bytes(), capacity_gib).verdict == MemoryVerdict::Fits;
    } catch (const UsageError&) {
      return false;  // a layout the model cannot take
    }
  };
  if (request.recompute != Recompute::Full) {
    MemoryRequest r = request;
    r.recompute = Recompute::Full;
    if (fits(r)) ways.push_back("--recompute full (a third more compute)");
  }
  const int64_t seq = request.layout.seq_len > 0 ? request.layout.seq_len : request.model.seq_len;
  for (int64_t cp = request.layout.cp * 2; cp <= 1024 && seq % (2 * cp) == 0; cp *= 2) {
    MemoryRequest r = request;
    r.layout.cp = cp;
    if (refit_dp(r) && fits(r)) {
      ways.push_back(gpus ? fmt::format("--cp {} ({} tokens per GPU)", cp, seq / cp)
                          : fmt::format("--cp {} ({} times the GPUs; {} tokens per GPU)", cp, cp / request.layout.cp,
                                        seq / cp));
      break;
    }
  }
  for (int64_t tp = request.layout.tp * 2; tp <= gpus_per_server; tp *= 2) {
    MemoryRequest r = request;
    r.layout.tp = tp;
    if (request.model.heads % tp == 0 && refit_dp(r) && fits(r)) {
      ways.push_back(fmt::format("--tp {}", tp));
      break;
    }
  }
  if (request.model.moe)
    for (int64_t ep = request.layout.ep * 2; ep <= request.model.moe->experts; ep *= 2) {
      MemoryRequest r = request;
      r.layout.ep = ep;
      // The experts split over cp·dp ranks: dp a multiple of comm::dp_multiple (fixed with --gpus),
      // named beside ep so that the flags rerun.
      const int64_t dp = gpus ? request.layout.dp : std::lcm(request.layout.dp, comm::dp_multiple(ep, r.layout.cp));
      r.layout.dp = dp;
      if ((r.layout.cp * dp) % ep == 0 && fits(r)) {
        ways.push_back(dp == request.layout.dp ? fmt::format("--ep {}", ep) : fmt::format("--ep {} --dp {}", ep, dp));
        break;
      }
    }
  if (request.zero_stage < 3) {
    MemoryRequest r = request;
    r.zero_stage = 3;
    if (fits(r)) ways.push_back("--zero 3");
  }
  if (request.zero3_keep_gathered) {
    MemoryRequest r = request;
    r.zero3_keep_gathered = false;
    if (fits(r)) ways.push_back("plain ZeRO-3 (without --zero3-keep-gathered: the weights gathered again for the backward)");
  }
  return ways;
}

}  // namespace tb
