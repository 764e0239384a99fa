#pragma once
// The fp64 reference every measured GEMM is checked against (the CPU backend's OpenBLAS GEMMs
// and, after copying back to the host, the CUDA backend's cuBLASLt GEMMs). Plain C++ over host
// arrays; tolerances per dtype are derived and justified in docs/verification.md.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "harness/hardware/sku_config.hpp"
#include "harness/workload/op.hpp"
#include "kernels/backend.hpp"

namespace tb::kernels {

// Operands as stored, row-major and densely packed, following the layout comment in
// harness/workload/op.hpp: A is M×K (K×M for WeightGrad), B is K×N (N×K for DataGrad).
// Pass the values the kernel really consumed (bf16/fp16/fp8 inputs widened exactly to float).
struct GemmOperands {
  GemmShape shape;
  std::span<const float> a;
  std::span<const float> b;
};

// C[i][j] in fp64, and Σ_p |A[i][p]·B[p][j]| (the scale that rounding errors grow with).
struct ReferenceElement {
  double value = 0;
  double abs_sum = 0;
};
ReferenceElement gemm_reference_element(const GemmOperands& g, int64_t i, int64_t j);

// Every (i, j) when M·N <= max_elements; otherwise the four corners plus random positions
// (seeded, so a failure reproduces), max_elements in all.
std::vector<std::pair<int64_t, int64_t>> gemm_check_positions(int64_t m, int64_t n, int64_t max_elements,
                                                              uint64_t seed);

// Documented tolerance on |got − ref| / (|ref| + Σ|a·b|) for a GEMM of inner size k in `dtype`
// with fp32 accumulation (docs/verification.md).
double gemm_tolerance(DType dtype, int64_t k);

struct GemmCheckOptions {
  int64_t max_elements = 8192;  // full check at or below this many outputs
  uint64_t seed = 0x636865636b;
};

// Checks C (M×N row-major, widened to float) against the reference. NaN/inf fail; so does an
// error above gemm_tolerance(dtype, k). `detail` names the first worst element.
VerifyResult verify_gemm(const GemmOperands& g, std::span<const float> c, DType dtype,
                         const GemmCheckOptions& options = {});
// The same for an fp64 output (dgemm), which widening to float would blur.
VerifyResult verify_gemm(const GemmOperands& g, std::span<const double> c, DType dtype,
                         const GemmCheckOptions& options = {});

// Where verify_gemm reads C (row-major indices i·N + j, in its order), and the same check given C
// only there: a backend that copies back just those elements (the CUDA backend; a Llama 3 8B
// logits GEMM's C is a billion elements, of which 8192 are checked). A count of values other than
// the positions' fails the check.
std::vector<int64_t> gemm_check_indices(const GemmShape& shape, const GemmCheckOptions& options = {});
VerifyResult verify_gemm_at(const GemmOperands& g, std::span<const float> c_at_positions, DType dtype,
                            const GemmCheckOptions& options = {});

// Throws tb::UsageError unless m, n, k and batch are positive (naming -m/-n/-k/--batch).
void validate_gemm_shape(const GemmShape& shape);

// The groups of a batched GEMM that verification checks: the first, one in the middle and the
// last (fewer when the batch is smaller), so that a group offset wrong anywhere shows.
std::vector<int64_t> gemm_check_groups(int64_t batch);
// `check` run on each of those groups, as one verdict: passed when all pass, the worst error, and
// the first failing group's detail prefixed with which group it was. A batch of 1 is check(0).
VerifyResult verify_gemm_groups(int64_t batch, const std::function<VerifyResult(int64_t group)>& check);
}  // namespace tb::kernels
