#pragma once
// Hopper (sm_90a) warpgroup instructions of the wgmma attention forward
// (attention_fwd_wgmma.cu): wgmma.mma_async with A from registers and B from shared memory
// through a descriptor (kernels/common/wgmma_layout.hpp), its fence/commit/wait, stmatrix, and
// the proxy fence that makes ordinary shared-memory stores visible to the tensor cores.
// Everything here exists only where __CUDA_ARCH_FEAT_SM90_ALL is defined (the sm_90a pass of
// nvcc); other passes see empty bodies that are never launched (the host refuses other GPUs).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace tb::kernels::cuda::attention {

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define TB_HAVE_WGMMA 1
#else
#define TB_HAVE_WGMMA 0
#endif

// Orders this thread's earlier register writes (accumulators, A fragments) before the next
// wgmma reads them (PTX ISA "wgmma.fence").
__device__ inline void wgmma_fence() {
#if TB_HAVE_WGMMA
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#endif
}
__device__ inline void wgmma_commit() {
#if TB_HAVE_WGMMA
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
#endif
}
// Waits until every committed wgmma group of this warpgroup has finished: accumulators are
// readable and the shared-memory operands may be overwritten.
__device__ inline void wgmma_wait_all() {
#if TB_HAVE_WGMMA
  asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
#endif
}
// Shared memory written through the generic proxy (stores, stmatrix, cp.async) and read next by
// wgmma (the async proxy) needs this in each writing thread before the barrier (HOPPER.md).
__device__ inline void fence_proxy_async_shared() {
#if TB_HAVE_WGMMA
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}

// Pins accumulator registers in program order around wgmma (as CUTLASS's
// warpgroup_fence_operand does): the compiler sees them read and written here, so it cannot move
// their uses across the issue or the wait of an asynchronous wgmma.
template <int NB>
__device__ inline void fence_accumulators(float (&d)[NB][4]) {
#pragma unroll
  for (int nb = 0; nb < NB; ++nb)
#pragma unroll
    for (int e = 0; e < 4; ++e) asm volatile("" : "+f"(d[nb][e])::"memory");
}

// stmatrix.sync.aligned.m8n8.x4.shared.b16: the inverse of ldmatrix.x4 (warp_model.hpp models it).
__device__ inline void stmatrix_x4(uint32_t smem_row_addr, const uint32_t (&r)[4]) {
#if TB_HAVE_WGMMA
  asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1,%2,%3,%4};\n" ::"r"(smem_row_addr), "r"(r[0]),
               "r"(r[1]), "r"(r[2]), "r"(r[3])
               : "memory");
#endif
}

// d (m64 x N, fp32) = A (m64 x k16, registers: each warp's 16 rows in the mma.sync A fragment
// layout) · B (k16 x N, K-major in shared memory, `desc_b`) + (accumulate ? d : 0).
// d[nb][e] is the mma.sync C fragment of the nb-th 8-column block (warp_model.hpp maps).
template <typename T, int N>
__device__ void wgmma_rs(float (&d)[N / 8][4], const uint32_t (&a)[4], uint64_t desc_b, int accumulate);
// One asm body per N, the element type spliced in as a string literal ("bf16" or "f16").
#define TB_WGMMA_RS_N64(TYPE)                                                                                      \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"                                                        \
               "wgmma.mma_async.sync.aligned.m64n64k16.f32." TYPE "." TYPE " {"                                    \
               "%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,"                                            \
               "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31"                                   \
               "}, {%32,%33,%34,%35}, %36, p, 1, 1, 0;\n}\n"                                                       \
               : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]),                                       \
                 "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]),                                       \
                 "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]),                                       \
                 "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]),                                       \
                 "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]),                                       \
                 "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]),                                       \
                 "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]),                                       \
                 "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3])                                        \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(accumulate))
#define TB_WGMMA_RS_N128(TYPE)                                                                                     \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"                                                        \
               "wgmma.mma_async.sync.aligned.m64n128k16.f32." TYPE "." TYPE " {"                                   \
               "%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,"                                            \
               "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,"                                  \
               "%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,"                                  \
               "%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63"                                   \
               "}, {%64,%65,%66,%67}, %68, p, 1, 1, 0;\n}\n"                                                       \
               : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]),                                       \
                 "+f"(d[1][0]), "+f"(d[1][1]), "+f"(d[1][2]), "+f"(d[1][3]),                                       \
                 "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]),                                       \
                 "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]),                                       \
                 "+f"(d[4][0]), "+f"(d[4][1]), "+f"(d[4][2]), "+f"(d[4][3]),                                       \
                 "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]),                                       \
                 "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]),                                       \
                 "+f"(d[7][0]), "+f"(d[7][1]), "+f"(d[7][2]), "+f"(d[7][3]),                                       \
                 "+f"(d[8][0]), "+f"(d[8][1]), "+f"(d[8][2]), "+f"(d[8][3]),                                       \
                 "+f"(d[9][0]), "+f"(d[9][1]), "+f"(d[9][2]), "+f"(d[9][3]),                                       \
                 "+f"(d[10][0]), "+f"(d[10][1]), "+f"(d[10][2]), "+f"(d[10][3]),                                   \
                 "+f"(d[11][0]), "+f"(d[11][1]), "+f"(d[11][2]), "+f"(d[11][3]),                                   \
                 "+f"(d[12][0]), "+f"(d[12][1]), "+f"(d[12][2]), "+f"(d[12][3]),                                   \
                 "+f"(d[13][0]), "+f"(d[13][1]), "+f"(d[13][2]), "+f"(d[13][3]),                                   \
                 "+f"(d[14][0]), "+f"(d[14][1]), "+f"(d[14][2]), "+f"(d[14][3]),                                   \
                 "+f"(d[15][0]), "+f"(d[15][1]), "+f"(d[15][2]), "+f"(d[15][3])                                    \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(accumulate))

template <>
__device__ inline void wgmma_rs<__nv_bfloat16, 64>(float (&d)[8][4], const uint32_t (&a)[4], uint64_t desc_b,
                                                   int accumulate) {
#if TB_HAVE_WGMMA
  TB_WGMMA_RS_N64("bf16");
#endif
}
template <>
__device__ inline void wgmma_rs<__half, 64>(float (&d)[8][4], const uint32_t (&a)[4], uint64_t desc_b, int accumulate) {
#if TB_HAVE_WGMMA
  TB_WGMMA_RS_N64("f16");
#endif
}
template <>
__device__ inline void wgmma_rs<__nv_bfloat16, 128>(float (&d)[16][4], const uint32_t (&a)[4], uint64_t desc_b,
                                                    int accumulate) {
#if TB_HAVE_WGMMA
  TB_WGMMA_RS_N128("bf16");
#endif
}
template <>
__device__ inline void wgmma_rs<__half, 128>(float (&d)[16][4], const uint32_t (&a)[4], uint64_t desc_b,
                                             int accumulate) {
#if TB_HAVE_WGMMA
  TB_WGMMA_RS_N128("f16");
#endif
}
#undef TB_WGMMA_RS_N64
#undef TB_WGMMA_RS_N128

}  // namespace tb::kernels::cuda::attention
