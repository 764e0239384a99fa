#pragma once
// Row-major GEMMs as column-major cuBLASLt problems, by operand swap: a row-major X[r×c] buffer
// IS the column-major Xᵀ[c×r], so C = op(A)·op(B) (row-major, harness/workload/op.hpp) is
// computed as Cᵀ = op(B)ᵀ·op(A)ᵀ, with cuBLAS's "A" being our B and its "B" our A.
//   layout | our operands (row-major)  | cuBLAS A (= our B)     | cuBLAS B (= our A)     | C
//   fwd    | A M×K, B K×N              | N: col-major N×K, ld N | N: col-major K×M, ld K | col-major N×M, ld N
//   dgrad  | A M×K, B stored N×K       | T: col-major K×N, ld K | N: col-major K×M, ld K |   "
//   wgrad  | A stored K×M, B K×N       | N: col-major N×K, ld N | T: col-major M×K, ld M |   "
// Plain C++ (no CUDA types) so that the CPU tests check the mapping with a column-major
// reference GEMM (tests/kernels/test_cublas_layout.cpp) on machines without a GPU.
#include <cstdint>

#include "harness/workload/op.hpp"

namespace tb::kernels::cuda {

struct StoredMatrix {
  int64_t rows = 0, cols = 0, ld = 0;  // column-major, as stored
  bool transposed = false;             // cuBLAS op: T when true
  // Elements from one group's matrix to the next in a strided batch
  // (CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET): the groups packed back to back.
  int64_t batch_stride = 0;
};

struct ColumnMajorProblem {
  StoredMatrix a;  // our B
  StoredMatrix b;  // our A
  StoredMatrix c;  // our C, col-major N×M
  int64_t m = 0, n = 0, k = 0;  // cuBLAS's: D[m×n] = op(A)[m×k]·op(B)[k×n]
  int64_t batch = 1;            // CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT of every layout
};

inline ColumnMajorProblem column_major_problem(const GemmShape& s) {
  const bool ta = transposes_b(s.layout);  // cuBLAS A is our B
  const bool tb = transposes_a(s.layout);  // cuBLAS B is our A
  ColumnMajorProblem p;
  p.m = s.n;
  p.n = s.m;
  p.k = s.k;
  p.a = ta ? StoredMatrix{s.k, s.n, s.k, true} : StoredMatrix{s.n, s.k, s.n, false};
  p.b = tb ? StoredMatrix{s.m, s.k, s.m, true} : StoredMatrix{s.k, s.m, s.k, false};
  p.c = StoredMatrix{s.n, s.m, s.n, false};
  p.batch = s.batch;
  for (StoredMatrix* x : {&p.a, &p.b, &p.c}) x->batch_stride = x->ld * x->cols;
  return p;
}

// Device bytes of a batched GEMM's A, B and C (each group its own), at the given bytes per
// element of each: what must fit before anything is allocated.
inline double gemm_operand_bytes(const GemmShape& s, double a_elt, double b_elt, double c_elt) {
  const double m = static_cast<double>(s.m), n = static_cast<double>(s.n), k = static_cast<double>(s.k);
  return static_cast<double>(s.batch) * (a_elt * m * k + b_elt * k * n + c_elt * m * n);
}

// The fp8 formats of cuBLAS's A and B for a GEMM in its role (op.hpp's fp8_gemm_operands, swapped
// as the operands are: cuBLAS A is our B). dgrad: A = W e4m3, B = dY e5m2; wgrad: A = dY e5m2,
// B = X e4m3; both combinations cuBLASLt runs, where e5m2 x e5m2 it does not.
struct CublasFp8Types {
  Fp8Format a = Fp8Format::E4M3, b = Fp8Format::E4M3;
};
inline CublasFp8Types cublas_fp8_types(GemmLayout role) {
  const Fp8Operands ours = fp8_gemm_operands(role);
  return {ours.b, ours.a};
}

// Transformer Engine's fp8 recipe: the forward GEMM keeps its partial sums in the tensor cores'
// own accumulator (cuBLASLt's fast accumulation, CUBLASLT_MATMUL_DESC_FAST_ACCUM), while the data
// and weight gradients have them promoted to fp32 periodically (split accumulation), which
// gradients need for their precision.
inline bool fp8_fast_accumulation(DType dtype, GemmLayout layout) {
  return dtype == DType::FP8 && layout == GemmLayout::Forward;
}

}  // namespace tb::kernels::cuda
