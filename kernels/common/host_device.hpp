#pragma once
// TB_HD marks math that both the CPU backend (plain g++) and CUDA kernels (nvcc) compile, so the
// tests that run on any machine exercise the very functions the GPU executes (STYLE.md point 3).
#if defined(__CUDACC__)
#define TB_HD __host__ __device__
#else
#define TB_HD
#endif
