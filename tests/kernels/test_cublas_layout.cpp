// The row-major → column-major operand swap the CUDA backend hands cuBLASLt, checked on the CPU:
// a naive column-major GEMM that follows cuBLAS's documented semantics (D = op(A)·op(B), op = T
// reads the stored matrix transposed, element (r, c) of a stored matrix at r + c·ld) must give,
// for every layout, the row-major C that the fp64 reference computes from op.hpp's definition.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/common/gemm_reference.hpp"
#include "kernels/common/memory_ops_math.hpp"
#include "kernels/cuda/cublas_layout.hpp"

namespace tb::kernels {
namespace {

double op_element(const std::vector<float>& buf, const cuda::StoredMatrix& s, int64_t r, int64_t c) {
  // Element (r, c) of op(X): X stored column-major with leading dimension ld.
  return s.transposed ? buf[static_cast<size_t>(c + r * s.ld)] : buf[static_cast<size_t>(r + c * s.ld)];
}

TEST(CublasLayout, OperandSwapReproducesRowMajorSemanticsForEveryLayout) {
  for (GemmLayout layout : {GemmLayout::Forward, GemmLayout::DataGrad, GemmLayout::WeightGrad}) {
    for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{5, 7, 3}, {1, 4, 9}, {6, 1, 2}, {8, 8, 8}}) {
      const GemmShape shape{m, n, k, layout};
      std::vector<float> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n));
      for (size_t i = 0; i < a.size(); ++i) a[i] = memops::hash_uniform(1, i);
      for (size_t i = 0; i < b.size(); ++i) b[i] = memops::hash_uniform(2, i);
      const cuda::ColumnMajorProblem p = cuda::column_major_problem(shape);
      // Dimensions are consistent: op(A) is m×k, op(B) is k×n, D is m×n; ld >= stored rows.
      EXPECT_EQ(p.a.transposed ? p.a.cols : p.a.rows, p.m);
      EXPECT_EQ(p.a.transposed ? p.a.rows : p.a.cols, p.k);
      EXPECT_EQ(p.b.transposed ? p.b.cols : p.b.rows, p.k);
      EXPECT_EQ(p.b.transposed ? p.b.rows : p.b.cols, p.n);
      EXPECT_EQ(p.c.rows, p.m);
      EXPECT_EQ(p.c.cols, p.n);
      for (const auto* s : {&p.a, &p.b, &p.c}) EXPECT_GE(s->ld, s->rows);
      // cuBLAS's A is our B and its B is our A; D is written column-major with ld = p.c.ld.
      std::vector<double> d(static_cast<size_t>(p.c.ld * p.n));
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t j = 0; j < p.n; ++j) {
          double sum = 0;
          for (int64_t q = 0; q < p.k; ++q) sum += op_element(b, p.a, i, q) * op_element(a, p.b, q, j);
          d[static_cast<size_t>(i + j * p.c.ld)] = sum;
        }
      // Read back as our row-major C[M×N]: C[r][c] is D's buffer at r·N + c.
      const GemmOperands g{shape, a, b};
      for (int64_t r = 0; r < m; ++r)
        for (int64_t c = 0; c < n; ++c)
          EXPECT_NEAR(d[static_cast<size_t>(r * n + c)], gemm_reference_element(g, r, c).value, 1e-9)
              << to_string(layout) << " " << m << "x" << n << "x" << k << " at " << r << "," << c;
    }
  }
}

// A strided batch as cuBLASLt runs it: group g of each matrix starts batch_stride elements after
// group g-1's. A naive batched column-major GEMM that follows that rule must give, group by
// group, the row-major products of the groups' own operands packed back to back.
TEST(CublasLayout, StridedBatchReproducesEachGroupsRowMajorProduct) {
  const int64_t batch = 3;
  for (GemmLayout layout : {GemmLayout::Forward, GemmLayout::DataGrad, GemmLayout::WeightGrad}) {
    const int64_t m = 5, n = 4, k = 6;
    const GemmShape shape{m, n, k, layout, batch};
    const cuda::ColumnMajorProblem p = cuda::column_major_problem(shape);
    EXPECT_EQ(p.batch, batch);
    // Dense packing: one group's stored matrix, ld x cols, then the next.
    EXPECT_EQ(p.a.batch_stride, n * k);  // our B
    EXPECT_EQ(p.b.batch_stride, m * k);  // our A
    EXPECT_EQ(p.c.batch_stride, m * n);
    std::vector<float> a(static_cast<size_t>(batch * m * k)), b(static_cast<size_t>(batch * k * n));
    for (size_t i = 0; i < a.size(); ++i) a[i] = memops::hash_uniform(3, i);
    for (size_t i = 0; i < b.size(); ++i) b[i] = memops::hash_uniform(4, i);
    std::vector<double> d(static_cast<size_t>(batch * p.c.batch_stride));
    for (int64_t g = 0; g < batch; ++g) {
      const std::vector<float> ga(a.begin() + g * p.b.batch_stride, a.begin() + (g + 1) * p.b.batch_stride);
      const std::vector<float> gb(b.begin() + g * p.a.batch_stride, b.begin() + (g + 1) * p.a.batch_stride);
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t j = 0; j < p.n; ++j) {
          double sum = 0;
          for (int64_t q = 0; q < p.k; ++q) sum += op_element(gb, p.a, i, q) * op_element(ga, p.b, q, j);
          d[static_cast<size_t>(g * p.c.batch_stride + i + j * p.c.ld)] = sum;
        }
      const GemmShape one{m, n, k, layout};
      const GemmOperands ref{one, ga, gb};
      for (int64_t r = 0; r < m; ++r)
        for (int64_t c = 0; c < n; ++c)
          EXPECT_NEAR(d[static_cast<size_t>(g * m * n + r * n + c)], gemm_reference_element(ref, r, c).value, 1e-9)
              << to_string(layout) << " group " << g << " at " << r << "," << c;
    }
  }
  // A single GEMM is a batch of one.
  EXPECT_EQ(cuda::column_major_problem({16, 8, 4, GemmLayout::Forward}).batch, 1);
}

// What must fit on the device before allocating: every group's A, B and C. fp8: 1-byte inputs,
// bf16 output; 8 groups of 64 x 32 x 16: 8 x (64·16 + 16·32 + 2·64·32) = 8 x 5632 bytes.
TEST(CublasLayout, OperandBytesCountEveryGroup) {
  EXPECT_DOUBLE_EQ(cuda::gemm_operand_bytes({64, 32, 16, GemmLayout::Forward, 8}, 1, 1, 2), 8 * 5632.0);
  EXPECT_DOUBLE_EQ(cuda::gemm_operand_bytes({64, 32, 16, GemmLayout::Forward}, 2, 2, 2), 2.0 * (1024 + 512 + 2048));
}

TEST(CublasLayout, Fp8TnRequirementIsTheDataGradLayout) {
  // Hopper's fp8 cuBLASLt kernels need op(A) = T and op(B) = N: only dgrad maps to that, which
  // is why fp8 GEMMs store their operands as dgrad does (cublaslt_gemm.cpp).
  EXPECT_TRUE(cuda::column_major_problem({16, 16, 16, GemmLayout::DataGrad}).a.transposed);
  EXPECT_FALSE(cuda::column_major_problem({16, 16, 16, GemmLayout::DataGrad}).b.transposed);
  EXPECT_FALSE(cuda::column_major_problem({16, 16, 16, GemmLayout::Forward}).a.transposed);
  EXPECT_TRUE(cuda::column_major_problem({16, 16, 16, GemmLayout::WeightGrad}).b.transposed);
}

// cuBLASLt runs fp8 GEMMs with A/B = e4m3/e4m3, e4m3/e5m2 and e5m2/e4m3, never e5m2/e5m2 (cuBLAS
// documentation, cublasLtMatmul's FP8 type table). Its A is our B: dgrad hands it W (e4m3) and
// dY (e5m2), wgrad dY (e5m2) and X (e4m3).
TEST(CublasLayout, Fp8OperandTypesPerRoleAreOnesCublasLtRuns) {
  using F = Fp8Format;
  const auto fwd = cuda::cublas_fp8_types(GemmLayout::Forward);
  const auto dgrad = cuda::cublas_fp8_types(GemmLayout::DataGrad);
  const auto wgrad = cuda::cublas_fp8_types(GemmLayout::WeightGrad);
  EXPECT_EQ(fwd.a, F::E4M3);
  EXPECT_EQ(fwd.b, F::E4M3);
  EXPECT_EQ(dgrad.a, F::E4M3);
  EXPECT_EQ(dgrad.b, F::E5M2);
  EXPECT_EQ(wgrad.a, F::E5M2);
  EXPECT_EQ(wgrad.b, F::E4M3);
  for (GemmLayout role : {GemmLayout::Forward, GemmLayout::DataGrad, GemmLayout::WeightGrad}) {
    const auto t = cuda::cublas_fp8_types(role);
    EXPECT_FALSE(t.a == F::E5M2 && t.b == F::E5M2) << to_string(role);
    // The swap: cuBLAS's A is our B, its B our A.
    EXPECT_EQ(t.a, fp8_gemm_operands(role).b) << to_string(role);
    EXPECT_EQ(t.b, fp8_gemm_operands(role).a) << to_string(role);
  }
}

TEST(CublasLayout, Fp8FastAccumulationOnlyInTheForwardGemm) {
  // Transformer Engine's recipe: fast accumulation forward, split accumulation for the gradients.
  EXPECT_TRUE(cuda::fp8_fast_accumulation(DType::FP8, GemmLayout::Forward));
  EXPECT_FALSE(cuda::fp8_fast_accumulation(DType::FP8, GemmLayout::DataGrad));
  EXPECT_FALSE(cuda::fp8_fast_accumulation(DType::FP8, GemmLayout::WeightGrad));
  for (DType other : {DType::BF16, DType::FP16, DType::TF32, DType::FP32})
    EXPECT_FALSE(cuda::fp8_fast_accumulation(other, GemmLayout::Forward)) << to_string(other);
}

}  // namespace
}  // namespace tb::kernels
