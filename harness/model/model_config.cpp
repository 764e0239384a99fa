#include "harness/model/model_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "harness/common/errors.hpp"
#include "harness/config/config_catalog.hpp"
#include "harness/config/toml_reader.hpp"

namespace tb {

const char* to_string(MlpKind kind) { return kind == MlpKind::Gelu ? "gelu" : "swiglu"; }
const char* to_string(NormKind kind) { return kind == NormKind::LayerNorm ? "layernorm" : "rmsnorm"; }
const char* to_string(PositionKind kind) { return kind == PositionKind::Learned ? "learned" : "rope"; }

// Shapes past these are typos, not models: a 10^7-wide layer would not fit any machine.
static constexpr int64_t kMaxDimension = 1 << 22;
static constexpr int64_t kMaxLayers = 10000;

void validate_model(const ModelConfig& m, const std::string& origin) {
  auto fail = [&](const std::string& field, const std::string& why) {
    throw UsageError(fmt::format("{}: field '{}' {}", origin, field, why));
  };
  const std::pair<const char*, int64_t> dims[] = {
      {"architecture.layers", m.layers},         {"architecture.hidden", m.hidden},
      {"architecture.heads", m.heads},           {"architecture.kv_heads", m.kv_heads},
      {"architecture.head_dim", m.head_dim},     {"architecture.ffn_hidden", m.ffn_hidden},
      {"architecture.vocab", m.vocab},           {"architecture.seq_len", m.seq_len}};
  for (const auto& [field, value] : dims) {
    if (value <= 0) fail(field, fmt::format("must be a positive integer (got {})", value));
    if (value > kMaxDimension) fail(field, fmt::format("is absurdly large ({} > {})", value, kMaxDimension));
  }
  if (m.layers > kMaxLayers) fail("architecture.layers", fmt::format("is absurdly large ({} > {})", m.layers, kMaxLayers));
  if (m.hidden % m.heads != 0)
    fail("architecture.heads", fmt::format("({}) must divide hidden ({})", m.heads, m.hidden));
  if (m.heads % m.kv_heads != 0)
    fail("architecture.kv_heads", fmt::format("({}) must divide heads ({})", m.kv_heads, m.heads));
  if (m.vocab_pad_multiple < 1 || m.vocab_pad_multiple > 65536)
    fail("architecture.vocab_pad_multiple", fmt::format("must be between 1 and 65536 (got {})", m.vocab_pad_multiple));
  if (m.mla) {
    const MlaConfig& a = *m.mla;
    const std::pair<const char*, int64_t> ranks[] = {{"mla.kv_lora_rank", a.kv_lora_rank},
                                                     {"mla.qk_nope_head_dim", a.qk_nope_head_dim},
                                                     {"mla.qk_rope_head_dim", a.qk_rope_head_dim},
                                                     {"mla.v_head_dim", a.v_head_dim}};
    for (const auto& [field, value] : ranks)
      if (value <= 0 || value > kMaxDimension)
        fail(field, fmt::format("must be a positive integer up to {} (got {})", kMaxDimension, value));
    if (a.q_lora_rank < 0 || a.q_lora_rank > kMaxDimension)
      fail("mla.q_lora_rank", fmt::format("must be 0 (no query latent) or a positive integer (got {})", a.q_lora_rank));
    if (m.head_dim != a.qk_nope_head_dim + a.qk_rope_head_dim)
      fail("architecture.head_dim", fmt::format("({}) must be mla.qk_nope_head_dim + mla.qk_rope_head_dim = {} under "
                                                "multi-head latent attention",
                                                m.head_dim, a.qk_nope_head_dim + a.qk_rope_head_dim));
    if (m.kv_heads != m.heads)
      fail("architecture.kv_heads", fmt::format("({}) must equal heads ({}) under multi-head latent attention: every "
                                                "head has its own K and V from the latent",
                                                m.kv_heads, m.heads));
  }
  if (m.moe) {
    const MoeConfig& e = *m.moe;
    if (e.experts < 2 || e.experts > 65536)
      fail("moe.experts", fmt::format("must be between 2 and 65536 (got {})", e.experts));
    if (e.experts_per_token < 1 || e.experts_per_token > e.experts)
      fail("moe.experts_per_token",
           fmt::format("must be between 1 and moe.experts ({}) (got {})", e.experts, e.experts_per_token));
    if (e.expert_ffn_hidden <= 0 || e.expert_ffn_hidden > kMaxDimension)
      fail("moe.expert_ffn_hidden", fmt::format("must be a positive integer up to {} (got {})", kMaxDimension,
                                                e.expert_ffn_hidden));
    if (e.shared_experts < 0 || e.shared_experts > 64)
      fail("moe.shared_experts", fmt::format("must be between 0 and 64 (got {})", e.shared_experts));
    if (e.dense_layers < 0 || e.dense_layers >= m.layers)
      fail("moe.dense_layers",
           fmt::format("must be between 0 and layers - 1 ({}) (got {})", m.layers - 1, e.dense_layers));
  }
  if (!(m.train_tokens >= 0) || !std::isfinite(m.train_tokens))
    fail("training.tokens", "must be a positive number of tokens (or absent where none was published)");
  if (!(m.dropout >= 0.0 && m.dropout < 1.0)) fail("training.dropout", "must be a probability in [0, 1)");
}

int64_t padded_vocab(const ModelConfig& model, int64_t tensor_parallel) {
  const int64_t multiple = model.vocab_pad_multiple * std::max<int64_t>(1, tensor_parallel);
  return (model.vocab + multiple - 1) / multiple * multiple;
}

// A field saying why another is an assumption or an estimate ([training] batch_assumed,
// tokens_estimated): "" when absent; refused without the field it explains, or empty.
static std::string explanation_of(const config::TomlReader& r, const std::string& origin, const std::string& field,
                                  const std::string& explains, bool explained_given, const std::string& say) {
  if (!r.has(field)) return "";
  if (!explained_given)
    throw UsageError(fmt::format("{}: field '{}' explains {}, which is not given: give both, or neither", origin,
                                 field, explains));
  std::string why = r.optional_string(field).value_or("");
  if (why.empty())
    throw UsageError(fmt::format("{}: field '{}' is empty: {} (the maker published none)", origin, field, say));
  return why;
}

static ModelConfig parse_model(const config::TomlReader& r) {
  const std::string& origin = r.origin();
  ModelConfig m;
  m.name = r.require_string("name");
  m.display_name = r.optional_string("display_name").value_or(m.name);
  m.source = r.require_string("source");
  m.layers = r.require_positive_int("architecture.layers");
  m.hidden = r.require_positive_int("architecture.hidden");
  m.heads = r.require_positive_int("architecture.heads");
  if (m.hidden % m.heads != 0)
    throw UsageError(fmt::format("{}: field 'architecture.heads' ({}) must divide hidden ({})",
                                 origin, m.heads, m.hidden));
  m.kv_heads = r.optional_positive_int("architecture.kv_heads").value_or(m.heads);
  if (r.has("mla")) {
    MlaConfig a;
    a.q_lora_rank = r.optional_non_negative_int("mla.q_lora_rank").value_or(0);
    a.kv_lora_rank = r.require_positive_int("mla.kv_lora_rank");
    a.qk_nope_head_dim = r.require_positive_int("mla.qk_nope_head_dim");
    a.qk_rope_head_dim = r.require_positive_int("mla.qk_rope_head_dim");
    a.v_head_dim = r.require_positive_int("mla.v_head_dim");
    m.mla = a;
  }
  m.head_dim = r.optional_positive_int("architecture.head_dim")
                   .value_or(m.mla ? m.mla->qk_nope_head_dim + m.mla->qk_rope_head_dim : m.hidden / m.heads);
  m.ffn_hidden = r.require_positive_int("architecture.ffn_hidden");
  m.vocab = r.require_positive_int("architecture.vocab");
  m.vocab_pad_multiple = r.optional_positive_int("architecture.vocab_pad_multiple").value_or(128);
  m.seq_len = r.require_positive_int("architecture.seq_len");
  m.mlp = r.require_choice("architecture.mlp", {"gelu", "swiglu"}) == "gelu" ? MlpKind::Gelu
                                                                             : MlpKind::SwiGlu;
  m.norm = r.require_choice("architecture.norm", {"layernorm", "rmsnorm"}, "layernorm") == "layernorm"
               ? NormKind::LayerNorm
               : NormKind::RmsNorm;
  m.position = r.require_choice("architecture.position", {"learned", "rope"}, "learned") == "learned"
                   ? PositionKind::Learned
                   : PositionKind::Rope;
  m.biases = r.optional_bool("architecture.biases").value_or(true);
  m.tied_embeddings = r.optional_bool("architecture.tied_embeddings").value_or(true);
  if (r.has("moe")) {
    MoeConfig e;
    e.experts = r.require_positive_int("moe.experts");
    e.experts_per_token = r.require_positive_int("moe.experts_per_token");
    e.expert_ffn_hidden = r.optional_positive_int("moe.expert_ffn_hidden").value_or(m.ffn_hidden);
    e.shared_experts = r.optional_non_negative_int("moe.shared_experts").value_or(0);
    e.dense_layers = r.optional_non_negative_int("moe.dense_layers").value_or(0);
    m.moe = e;
  }
  m.train_tokens = r.optional_positive("training.tokens").value_or(0.0);  // some makers never say
  m.tokens_estimated = explanation_of(r, origin, "training.tokens_estimated", "an estimated 'training.tokens'",
                                      m.train_tokens > 0, "say how the token count was estimated");
  m.dropout = r.optional_non_negative("training.dropout").value_or(0.0);
  m.batch_sequences = r.optional_positive_int("training.batch_sequences");
  m.batch_assumed = explanation_of(r, origin, "training.batch_assumed", "an assumed 'training.batch_sequences'",
                                   m.batch_sequences.has_value(), "say why the batch is assumed");
  m.published_params = r.optional_positive("published.params");
  m.published_pf_days = r.optional_positive("published.train_pf_days");
  m.published_flops = r.optional_positive("published.train_flops");
  m.published_source = r.optional_string("published.source").value_or("");
  r.refuse_unknown_fields();
  validate_model(m, origin);
  return m;
}

ModelConfig parse_model_toml(const std::string& text, const std::string& origin) {
  return parse_model(config::TomlReader::from_string(text, origin));
}

ModelConfig load_model(const std::string& name_or_path) {
  auto path = config::resolve(config::ConfigKind::Model, name_or_path);
  ModelConfig m = parse_model(config::TomlReader::from_file(path.string()));
  // A user's file is recorded by its path: results read back later must find the same model,
  // not a built-in one of the same name (or none).
  if (config::looks_like_config_path(name_or_path)) m.source_file = std::filesystem::weakly_canonical(std::filesystem::absolute(path)).string();
  return m;
}

}  // namespace tb
