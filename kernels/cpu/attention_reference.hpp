#pragma once
// fp64 reference attention: the forward (O, LSE) and the gradients (dQ, dK, dV), causal or
// not, grouped-query, straight from the definitions (no tiling, no online softmax), so that
// it shares no code with the implementations it checks. Inputs are fp32 (the CPU backend's
// data, or a GPU's bf16/fp16 values converted exactly); accumulation is fp64.
//
// Layout: Q, O, dO, dQ [batch, seq, heads, head_dim]; K, V, dK, dV [batch, seq, kv_heads,
// head_dim]; LSE [batch, heads, seq], natural log.
#include <cstdint>
#include <vector>

#include "harness/workload/op.hpp"

namespace tb::kernels::cpu {

struct AttentionProblem {
  int64_t batch = 0, heads = 0, kv_heads = 0, seq = 0, head_dim = 0;
  bool causal = false;
  double softmax_scale = 0;  // 1/sqrt(head_dim)

  int64_t group() const { return heads / kv_heads; }
  int64_t q_row(int64_t b, int64_t i, int64_t h) const { return ((b * seq + i) * heads + h) * head_dim; }
  int64_t kv_row(int64_t b, int64_t j, int64_t g) const { return ((b * seq + j) * kv_heads + g) * head_dim; }
  int64_t lse_at(int64_t b, int64_t h, int64_t i) const { return (b * heads + h) * seq + i; }
  int64_t q_elements() const { return batch * seq * heads * head_dim; }
  int64_t kv_elements() const { return batch * seq * kv_heads * head_dim; }
  int64_t lse_elements() const { return batch * heads * seq; }
};

// Validates the shape (positive sizes, heads divisible by kv_heads) naming the field.
AttentionProblem make_problem(const AttentionShape& shape);

// One query row: writes O_i (head_dim values) and returns LSE_i.
double reference_forward_row(const AttentionProblem& p, const float* q, const float* k, const float* v,
                             int64_t b, int64_t h, int64_t i, double* o_row);

// LSE_i and D_i = dO_i · O_i for every row of (b, h): what the gradients of other rows need.
void reference_row_stats(const AttentionProblem& p, const float* q, const float* k, const float* v,
                         const float* dout, int64_t b, int64_t h, double* lse_rows, double* d_rows);

// dQ_i = scale · Σ_j dS_ij K_j, with dS_ij = P_ij (dO_i·V_j − D_i).
void reference_dq_row(const AttentionProblem& p, const float* q, const float* k, const float* v,
                      const float* dout, int64_t b, int64_t h, int64_t i, double lse, double d_term,
                      double* dq_row);

// dK_j = scale · Σ_{h in group} Σ_i dS_ij Q_i and dV_j = Σ_{h in group} Σ_i P_ij dO_i, for key
// row j of K/V head g. `lse` and `d` hold the row stats of the group's query heads,
// indexed [(h − g·group)·seq + i].
void reference_dkdv_row(const AttentionProblem& p, const float* q, const float* k, const float* v,
                        const float* dout, int64_t b, int64_t g, int64_t j, const double* lse,
                        const double* d, double* dk_row, double* dv_row);

// Whole tensors, for small shapes (tests).
void reference_forward(const AttentionProblem& p, const float* q, const float* k, const float* v,
                       std::vector<double>& o, std::vector<double>& lse);
void reference_backward(const AttentionProblem& p, const float* q, const float* k, const float* v,
                        const float* dout, std::vector<double>& dq, std::vector<double>& dk,
                        std::vector<double>& dv);

}  // namespace tb::kernels::cpu
