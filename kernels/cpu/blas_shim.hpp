#pragma once
// The CPU backend's BLAS: OpenBLAS's CBLAS when built with it (TB_WITH_OPENBLAS, the default),
// else a plain C++ GEMM with the same signatures. The fallback exists for device bundles
// (scripts/build-device-bundle.sh), where carrying OpenBLAS's 36 MB would crowd the GPU binaries
// out of the 64 MiB a lent machine accepts; there the CPU backend only serves as a reference.
#if TB_HAVE_OPENBLAS
#include <cblas.h>
#else
#include <cstdint>

using blasint = int64_t;
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112 };
using bfloat16 = uint16_t;

void cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k,
                 float alpha, const float* a, blasint lda, const float* b, blasint ldb, float beta, float* c,
                 blasint ldc);
void cblas_dgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k,
                 double alpha, const double* a, blasint lda, const double* b, blasint ldb, double beta, double* c,
                 blasint ldc);
int openblas_get_num_threads();
const char* openblas_get_corename();
const char* openblas_get_config();
#endif
