// Plain C++ row-major GEMM behind the CBLAS signatures, used only when OpenBLAS is not built in
// (see blas_shim.hpp). Correct first: i-k-j loop order so the inner loop streams rows of B and C.
#include "kernels/cpu/blas_shim.hpp"

#if !TB_HAVE_OPENBLAS
#include <stdexcept>
#include <vector>

namespace {

template <typename T>
void gemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, T alpha,
          const T* a, blasint lda, const T* b, blasint ldb, T beta, T* c, blasint ldc) {
  if (order != CblasRowMajor) throw std::invalid_argument("fallback GEMM: row-major only");
  auto A = [&](blasint i, blasint p) { return ta == CblasTrans ? a[p * lda + i] : a[i * lda + p]; };
  auto B = [&](blasint p, blasint j) { return tb == CblasTrans ? b[j * ldb + p] : b[p * ldb + j]; };
  std::vector<T> row(static_cast<size_t>(n));
  for (blasint i = 0; i < m; ++i) {
    std::fill(row.begin(), row.end(), T(0));
    for (blasint p = 0; p < k; ++p) {
      const T aip = A(i, p);
      for (blasint j = 0; j < n; ++j) row[j] += aip * B(p, j);
    }
    for (blasint j = 0; j < n; ++j) c[i * ldc + j] = alpha * row[j] + (beta == T(0) ? T(0) : beta * c[i * ldc + j]);
  }
}

}  // namespace

void cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k,
                 float alpha, const float* a, blasint lda, const float* b, blasint ldb, float beta, float* c,
                 blasint ldc) {
  gemm<float>(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void cblas_dgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k,
                 double alpha, const double* a, blasint lda, const double* b, blasint ldb, double beta, double* c,
                 blasint ldc) {
  gemm<double>(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

int openblas_get_num_threads() { return 1; }
const char* openblas_get_corename() { return "none"; }
const char* openblas_get_config() { return "no OpenBLAS (TB_WITH_OPENBLAS=OFF): plain C++ GEMM"; }
#endif
