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
// Operand lists shared by the asm bodies below: 4 accumulators per 8-column block, and the
// "%0,...,%(N/2-1)" register list that names them. The element type is spliced in as a string.
#define TB_WGMMA_ACC4(i) "+f"(d[i][0]), "+f"(d[i][1]), "+f"(d[i][2]), "+f"(d[i][3])
#define TB_WGMMA_ACC_N64                                                                                         \
  TB_WGMMA_ACC4(0), TB_WGMMA_ACC4(1), TB_WGMMA_ACC4(2), TB_WGMMA_ACC4(3), TB_WGMMA_ACC4(4), TB_WGMMA_ACC4(5),    \
      TB_WGMMA_ACC4(6), TB_WGMMA_ACC4(7)
#define TB_WGMMA_ACC_N128                                                                                        \
  TB_WGMMA_ACC_N64, TB_WGMMA_ACC4(8), TB_WGMMA_ACC4(9), TB_WGMMA_ACC4(10), TB_WGMMA_ACC4(11), TB_WGMMA_ACC4(12), \
      TB_WGMMA_ACC4(13), TB_WGMMA_ACC4(14), TB_WGMMA_ACC4(15)
#define TB_WGMMA_REGS_N64                                                                                        \
  "%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,"                                                       \
  "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31"
#define TB_WGMMA_REGS_N128                                                                                       \
  TB_WGMMA_REGS_N64 ",%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,"                          \
  "%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63"
#define TB_WGMMA_IN "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(accumulate)
#define TB_WGMMA_RS_N64(TYPE)                                                                                    \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"                                                      \
               "wgmma.mma_async.sync.aligned.m64n64k16.f32." TYPE "." TYPE " {" TB_WGMMA_REGS_N64                \
               "}, {%32,%33,%34,%35}, %36, p, 1, 1, 0;\n}\n"                                                     \
               : TB_WGMMA_ACC_N64                                                                                \
               : TB_WGMMA_IN)
#define TB_WGMMA_RS_N128(TYPE)                                                                                   \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"                                                      \
               "wgmma.mma_async.sync.aligned.m64n128k16.f32." TYPE "." TYPE " {" TB_WGMMA_REGS_N128              \
               "}, {%64,%65,%66,%67}, %68, p, 1, 1, 0;\n}\n"                                                     \
               : TB_WGMMA_ACC_N128                                                                               \
               : TB_WGMMA_IN)

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
#undef TB_WGMMA_IN
#undef TB_WGMMA_REGS_N128
#undef TB_WGMMA_REGS_N64
#undef TB_WGMMA_ACC_N128
#undef TB_WGMMA_ACC_N64
#undef TB_WGMMA_ACC4

}  // namespace tb::kernels::cuda::attention
