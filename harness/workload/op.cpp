#include "harness/workload/op.hpp"

#include <fmt/format.h>

#include "harness/common/errors.hpp"

namespace tb {

const char* to_string(OpKind kind) {
  switch (kind) {
    case OpKind::Gemm: return "gemm";
    case OpKind::AttentionForward: return "attention_fwd";
    case OpKind::AttentionBackward: return "attention_bwd";
    case OpKind::LayerNormForward: return "layernorm_fwd";
    case OpKind::LayerNormBackward: return "layernorm_bwd";
    case OpKind::RmsNormForward: return "rmsnorm_fwd";
    case OpKind::RmsNormBackward: return "rmsnorm_bwd";
    case OpKind::GeluForward: return "gelu_fwd";
    case OpKind::GeluBackward: return "gelu_bwd";
    case OpKind::SwiGluForward: return "swiglu_fwd";
    case OpKind::SwiGluBackward: return "swiglu_bwd";
    case OpKind::ResidualAdd: return "residual_add";
    case OpKind::CrossEntropyForwardBackward: return "cross_entropy";
    case OpKind::Fp8CastTranspose: return "fp8_cast_transpose";
    case OpKind::AdamUpdate: return "adam_update";
  }
  return "?";
}

bool is_memory_bound(OpKind kind) { return kind != OpKind::Gemm && !is_attention(kind); }

bool is_attention(OpKind kind) { return kind == OpKind::AttentionForward || kind == OpKind::AttentionBackward; }

const char* to_string(GemmLayout layout) {
  switch (layout) {
    case GemmLayout::Forward: return "fwd";
    case GemmLayout::DataGrad: return "dgrad";
    case GemmLayout::WeightGrad: return "wgrad";
  }
  return "?";
}

GemmLayout parse_gemm_layout(const std::string& text, const std::string& what) {
  if (text == "fwd") return GemmLayout::Forward;
  if (text == "dgrad") return GemmLayout::DataGrad;
  if (text == "wgrad") return GemmLayout::WeightGrad;
  throw UsageError(fmt::format("{}: unknown layout '{}'; accepted values: fwd, dgrad, wgrad", what, text));
}

const char* to_string(Fp8Format format) { return format == Fp8Format::E5M2 ? "e5m2" : "e4m3"; }

Fp8Operands fp8_gemm_operands(GemmLayout role) {
  switch (role) {
    case GemmLayout::Forward: return {Fp8Format::E4M3, Fp8Format::E4M3};
    case GemmLayout::DataGrad: return {Fp8Format::E5M2, Fp8Format::E4M3};    // A = dY, B = W
    case GemmLayout::WeightGrad: return {Fp8Format::E4M3, Fp8Format::E5M2};  // A = X, B = dY
  }
  return {};
}

bool transposes_a(GemmLayout layout) { return layout == GemmLayout::WeightGrad; }
bool transposes_b(GemmLayout layout) { return layout == GemmLayout::DataGrad; }

double attention_model_forward_flops(const AttentionShape& s) {
  return 4.0 * static_cast<double>(s.batch) * static_cast<double>(s.heads) * static_cast<double>(s.seq) *
         static_cast<double>(s.seq) * static_cast<double>(s.head_dim);
}

double attention_forward_flops(const AttentionShape& s) {
  const double full = attention_model_forward_flops(s);
  return s.causal ? full / 2.0 : full;
}

double hardware_flops(const Op& op) {
  return is_attention(op.kind) && op.attention.causal ? 2.0 * op.flops : op.flops;
}

double attention_backward_flops(const AttentionShape& s) { return 2.5 * attention_forward_flops(s); }

double gemm_flops(const GemmShape& g) {
  return static_cast<double>(g.batch) * 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) *
         static_cast<double>(g.k);
}

Op make_gemm_op(const std::string& name, const GemmShape& g, DType dtype) {
  Op op;
  op.name = name;
  op.kind = OpKind::Gemm;
  op.dtype = dtype;
  op.gemm = g;
  const double m = static_cast<double>(g.m), n = static_cast<double>(g.n), k = static_cast<double>(g.k);
  const double batch = static_cast<double>(g.batch);
  op.flops = op.model_flops = gemm_flops(g);
  // An fp8 GEMM writes bf16 (cuBLASLt's D type here, as Transformer Engine's output).
  const double out_bytes = dtype == DType::FP8 ? 2.0 : static_cast<double>(dtype_bytes(dtype));
  op.bytes = batch * (static_cast<double>(dtype_bytes(dtype)) * (m * k + k * n) + out_bytes * m * n);
  op.is_forward = g.layout == GemmLayout::Forward;
  return op;
}

Op make_attention_op(const std::string& name, const AttentionShape& shape, DType dtype, bool backward) {
  const double elt = dtype_bytes(dtype);
  const double qo = static_cast<double>(shape.batch * shape.seq * shape.heads * shape.head_dim);
  const double kv = static_cast<double>(shape.batch * shape.seq * shape.kv_heads * shape.head_dim);
  const double lse_bytes = 4.0 * static_cast<double>(shape.batch * shape.heads * shape.seq);
  Op op;
  op.name = name;
  op.kind = backward ? OpKind::AttentionBackward : OpKind::AttentionForward;
  op.dtype = dtype;
  op.attention = shape;
  // The model's count is unmasked whatever the kernel skips (PaLM appendix B, as published MFUs
  // count): a causal forward's model_flops is 2 × its flops.
  const double model_forward = attention_model_forward_flops(shape);
  if (backward) {
    op.flops = attention_backward_flops(shape);
    op.model_flops = 2.0 * model_forward;  // dQ, dK, dV, dP: four GEMMs; recomputing S is hardware work
    op.bytes = elt * (4 * qo + 4 * kv) + lse_bytes;
    op.is_forward = false;
  } else {
    op.flops = attention_forward_flops(shape);
    op.model_flops = model_forward;
    op.bytes = elt * (2 * qo + 2 * kv) + lse_bytes;
    op.attention_core = true;  // re-run under selective recomputation (Korthikanti et al. 2022)
  }
  return op;
}

Op make_memory_op(const std::string& name, OpKind kind, const MemoryShape& shape, DType dtype, double tensors_moved) {
  Op op;
  op.name = name;
  op.kind = kind;
  op.dtype = dtype;
  op.memory = shape;
  op.bytes = tensors_moved * dtype_bytes(dtype) * static_cast<double>(shape.rows) * static_cast<double>(shape.cols);
  return op;
}

Op make_fp8_cast_op(const std::string& name, const MemoryShape& shape, Fp8Format format) {
  // Read in bf16 (2 bytes) plus two fp8 copies (1 byte each): two bf16 tensors' worth.
  Op op = make_memory_op(name, OpKind::Fp8CastTranspose, shape, DType::BF16, 2);
  op.cast_format = format;
  return op;
}

double adam_bytes_per_param(DType working) {
  const bool copy = working == DType::BF16 || working == DType::FP16;
  return copy ? 4.0 + 2.0 * 12.0 + 2.0 : 4.0 + 2.0 * 12.0;
}

Op make_adam_op(const std::string& name, int64_t params, DType working) {
  const bool copy = working == DType::BF16 || working == DType::FP16;
  Op op;
  op.name = name;
  op.kind = OpKind::AdamUpdate;
  op.dtype = copy ? working : DType::FP32;
  op.memory = {1, params};
  op.bytes = adam_bytes_per_param(op.dtype) * static_cast<double>(params);
  op.in_layer = false;
  op.is_forward = false;
  op.per_optimizer_step = true;
  return op;
}

std::string Op::shape_string() const {
  switch (kind) {
    case OpKind::Gemm: {
      const std::string one = fmt::format("{}x{}x{} {}", gemm.m, gemm.n, gemm.k, to_string(gemm.layout));
      // Unbatched GEMMs keep the form older results files hold, so they still match by shape.
      return gemm.batch == 1 ? one : fmt::format("{}x {}", gemm.batch, one);
    }
    case OpKind::AttentionForward:
    case OpKind::AttentionBackward:
      return fmt::format("b{} h{}/{} s{} d{}{}", attention.batch, attention.heads,
                         attention.kv_heads, attention.seq, attention.head_dim,
                         attention.causal ? " causal" : "");
    case OpKind::AdamUpdate: return fmt::format("{} params", memory.cols);
    default:
      return fmt::format("{}x{}", memory.rows, memory.cols);
  }
}

}  // namespace tb
