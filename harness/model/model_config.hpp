#pragma once
// A decoder-only transformer's architecture, as read from configs/models/<name>.toml.
// The parameter count is always computed from these fields (model/parameter_count.hpp);
// `published_params` exists only so that tests and listings can compare against the paper.
#include <cstdint>
#include <optional>
#include <string>

namespace tb {

enum class MlpKind { Gelu, SwiGlu };      // GPT: up-GeLU-down; Llama: gate*up (SiLU) then down
enum class NormKind { LayerNorm, RmsNorm };
enum class PositionKind { Learned, Rope };

// Mixture of experts (Shazeer et al. 2017; GShard; Switch; Mixtral; DBRX; DeepSeek): in an MoE
// layer the MLP becomes `experts` MLPs of `expert_ffn_hidden` each, a router (a d × experts GEMM)
// sends every token to `experts_per_token` (top-k) of them and sums their outputs by the router's
// weights; `shared_experts` more are applied to every token (DeepSeekMoE). The first
// `dense_layers` layers keep the dense MLP of `ffn_hidden` (DeepSeek-V3's first three).
// Multi-head latent attention (DeepSeek-V2/V3): queries and keys/values pass through low-rank
// latents. Q = up(norm(down(x))) (q_lora_rank 0: one d × h·(nope+rope) projection); K and V per
// head come from a kv_lora_rank latent, the rotary part of K from one shared 64-wide key. Each
// head's query and key are qk_nope + qk_rope wide (head_dim), its value v_head_dim.
struct MlaConfig {
  int64_t q_lora_rank = 0;
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
};

struct MoeConfig {
  int64_t experts = 0;
  int64_t experts_per_token = 0;
  int64_t expert_ffn_hidden = 0;
  int64_t shared_experts = 0;
  int64_t dense_layers = 0;
};

struct ModelConfig {
  std::string name;          // config key, e.g. "gpt3-175b"
  std::string display_name;  // "GPT-3 175B"
  std::string source;        // paper / model card the shape comes from
  std::string source_file;   // the .toml's absolute path when loaded from a path, "" by name

  int64_t layers = 0;
  int64_t hidden = 0;        // d_model
  int64_t heads = 0;         // query heads
  int64_t kv_heads = 0;      // key/value heads (== heads without grouped-query attention)
  int64_t head_dim = 0;      // usually hidden / heads
  int64_t ffn_hidden = 0;    // MLP inner size (4d for GPT; SwiGLU's per-branch size for Llama)
  int64_t vocab = 0;
  // Megatron-LM pads the vocabulary to a multiple of this times the tensor-parallel size
  // (--make-vocab-size-divisible-by, default 128), so each rank's logits GEMM is a round width
  // (GPT-2/3's 50,257 becomes 50,304 on one GPU, 51,200 at tp 8). 1: no padding.
  int64_t vocab_pad_multiple = 128;
  int64_t seq_len = 0;       // training context length
  MlpKind mlp = MlpKind::Gelu;
  NormKind norm = NormKind::LayerNorm;
  PositionKind position = PositionKind::Learned;
  bool biases = true;            // linear-layer biases
  bool tied_embeddings = true;   // output projection shares the input embedding
  std::optional<MoeConfig> moe;  // absent: every layer dense
  std::optional<MlaConfig> mla;  // absent: standard (grouped-query) attention

  // Per head: the query/key width is head_dim; the value width is head_dim too, except under MLA.
  int64_t value_head_dim() const { return mla ? mla->v_head_dim : head_dim; }
  // Widths over all heads: queries; keys and values averaged (K and V differ under MLA), which is
  // what attention's FLOPs and a K/V exchange scale with.
  int64_t query_width() const { return heads * head_dim; }
  double kv_width() const {
    return mla ? static_cast<double>(heads) * static_cast<double>(head_dim + mla->v_head_dim) / 2.0
               : static_cast<double>(kv_heads * head_dim);
  }
  // The attention core's FLOPs per query-key pair per head: 2·(qk + v), i.e. 4·head_dim unless MLA.
  double attention_dim() const { return static_cast<double>(head_dim + value_head_dim()) / 2.0; }

  bool is_moe() const { return moe.has_value(); }
  int64_t moe_layers() const { return moe ? layers - moe->dense_layers : 0; }
  int64_t dense_mlp_layers() const { return layers - moe_layers(); }

  double train_tokens = 0;                   // tokens the published model was trained on; 0: not published
  // Non-empty where the maker published no token count and train_tokens is the config's estimate
  // ([training] tokens_estimated): why this one. Said wherever the tokens set a figure.
  std::string tokens_estimated;
  // Dropout probability in training (residual, attention, embedding). It costs no FLOPs but
  // keeps a 1-byte mask per dropped element for the backward: the memory model counts it.
  double dropout = 0;
  // Global batch in sequences of seq_len, as published: with a GPU count it fixes how many
  // micro-batches a data-parallel rank runs per step (the layout search needs it).
  std::optional<int64_t> batch_sequences;
  // Non-empty where the maker published no batch and batch_sequences is an assumption
  // ([training] batch_assumed): why this one. Said wherever the batch sets a figure.
  std::string batch_assumed;
  std::optional<double> published_params;    // for comparison only, never used in math
  std::optional<double> published_pf_days;   // for comparison only
  // The table's own FLOPs where it prints them (GPT-3 Table D.1's 2.31E+22 for 13B): its PF-days
  // are rounded, so FLOPs derived from them (268 x 8.64e19 = 2.32E+22) would misquote it.
  std::optional<double> published_flops;
  std::string published_source;
};

const char* to_string(MlpKind kind);
const char* to_string(NormKind kind);
const char* to_string(PositionKind kind);

// The vocabulary as the training framework lays it out over t tensor ranks: rounded up to a
// multiple of vocab_pad_multiple · t. The padded rows are computed, never predicted.
int64_t padded_vocab(const ModelConfig& model, int64_t tensor_parallel);

// Loads configs/models/<name>.toml or a user file, validating every field by name.
ModelConfig load_model(const std::string& name_or_path);
ModelConfig parse_model_toml(const std::string& text, const std::string& origin);

// Refuses shapes that cannot be built: heads not dividing hidden, kv_heads not dividing heads...
// `origin` prefixes every message (a file path or "--model").
void validate_model(const ModelConfig& model, const std::string& origin);

}  // namespace tb
