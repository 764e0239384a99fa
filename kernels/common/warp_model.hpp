#pragma once
// Warp-level layouts of the tensor-core instructions our attention kernels use, and a CPU model
// of a warp that executes them, so that CI checks the fragment bookkeeping without a GPU.
//
// Part 1 (TB_HD, used by kernels/cuda/attention_*.cu): which lane holds which matrix element.
// Source: PTX ISA 9.0, section "Matrix Fragments for mma.m16n8k16 with floating point type"
// (.f16/.bf16 inputs, .f32 accumulators) and "Warp-level matrix load instruction: ldmatrix".
//   groupID = lane >> 2, threadID_in_group = lane % 4.
//   A (16x16, row): a0..a3, each .b32 holding 2 halves; element e (0..7) lives in a[e/2].
//   B (16x8, col):  b0..b1; element e (0..3) in b[e/2].
//   C/D (16x8, f32): c0..c3.
//   ldmatrix.m8n8.x4.b16: lanes 8j..8j+7 give the 8 row addresses of matrix j; destination
//   register j of lane l holds row l/4, columns 2(l%4), 2(l%4)+1 of matrix j (.trans: the
//   transposed matrix, i.e. rows 2(l%4), 2(l%4)+1 of column l/4).
//
// Part 2 (host only): a warp of 32 lanes with __shfl_xor_sync/__shfl_sync semantics, an
// emulated mma.m16n8k16 and ldmatrix.x4 that go through the maps of part 1.
#include <array>
#include <cstdint>
#include <span>

#include "kernels/common/host_device.hpp"

namespace tb::kernels::warp {

inline constexpr int kWarpSize = 32;

TB_HD inline int lane_group(int lane) { return lane >> 2; }     // PTX "groupID"
TB_HD inline int lane_in_group(int lane) { return lane & 3; }   // PTX "threadID_in_group"

// ---- mma.m16n8k16, A operand: element e in 0..7 of `lane` ----
TB_HD inline int mma_a_fragment_row(int lane, int e) { return lane_group(lane) + 8 * ((e >> 1) & 1); }
TB_HD inline int mma_a_fragment_col(int lane, int e) { return 2 * lane_in_group(lane) + (e & 1) + 8 * (e >> 2); }
// ---- B operand (k x n): element e in 0..3 ----
TB_HD inline int mma_b_fragment_row(int lane, int e) { return 2 * lane_in_group(lane) + (e & 1) + 8 * (e >> 1); }
TB_HD inline int mma_b_fragment_col(int lane, int /*e*/) { return lane_group(lane); }
// ---- C/D accumulators: element e in 0..3 ----
TB_HD inline int mma_c_fragment_row(int lane, int e) { return lane_group(lane) + 8 * (e >> 1); }
TB_HD inline int mma_c_fragment_col(int lane, int e) { return 2 * lane_in_group(lane) + (e & 1); }
// Which of a lane's two rows (g or g+8) accumulator element e belongs to.
TB_HD inline int mma_c_row_half(int e) { return e >> 1; }

// FlashAttention-2's register reuse: the S accumulators of two adjacent 8-column blocks form
// the A operand of the next product (P·V) without a trip through shared memory. A element e of
// k-chunk kk (columns 16kk..16kk+15) is accumulator element accum_to_a_elem(e) of 8-column
// block accum_to_a_block(kk, e).
TB_HD inline int accum_to_a_block(int kk, int e) { return 2 * kk + (e >> 2); }
TB_HD inline int accum_to_a_elem(int e) { return e & 3; }

// ---- ldmatrix.sync.aligned.m8n8.x4.b16 ----
TB_HD inline int ldmatrix_source_matrix(int lane) { return lane >> 3; }
TB_HD inline int ldmatrix_source_row(int lane) { return lane & 7; }
TB_HD inline int ldmatrix_dest_row(int lane, int e, bool trans) { return trans ? 2 * (lane & 3) + e : lane >> 2; }
TB_HD inline int ldmatrix_dest_col(int lane, int e, bool trans) { return trans ? lane >> 2 : 2 * (lane & 3) + e; }

// Row/column (within a 16x16 tile of a row-major shared-memory array) whose address `lane`
// supplies to ldmatrix.x4, for the three operand shapes of attention:
// (1) A operand, stored [m][k] (Q, dS): matrix j = rows 8(j&1).., cols 8(j>>1)..; registers
//     0..3 are then exactly a0..a3.
// (2) B operand stored [n][k] (K for Q·Kᵀ): matrix j = rows (n) 8(j>>1).., cols (k) 8(j&1)..;
//     registers {0,1} are b0,b1 of n-block 0, registers {2,3} those of n-block 1.
// (3) B operand stored [k][n] (V for P·V), loaded with .trans: matrix j = rows (k) 8(j&1)..,
//     cols (n) 8(j>>1)..; registers {0,1} are n-block 0, {2,3} n-block 1.
TB_HD inline int ldsm_a_row(int lane) { return (lane & 7) + 8 * ((lane >> 3) & 1); }
TB_HD inline int ldsm_a_col(int lane) { return 8 * (lane >> 4); }
TB_HD inline int ldsm_b_nk_row(int lane) { return (lane & 7) + 8 * (lane >> 4); }
TB_HD inline int ldsm_b_nk_col(int lane) { return 8 * ((lane >> 3) & 1); }
TB_HD inline int ldsm_b_kn_row(int lane) { return (lane & 7) + 8 * ((lane >> 3) & 1); }
TB_HD inline int ldsm_b_kn_col(int lane) { return 8 * (lane >> 4); }

// ======================= host-only CPU model of one warp =======================
template <typename T>
using LaneArray = std::array<T, kWarpSize>;

// __shfl_xor_sync(0xffffffff, v, mask): lane l reads lane l ^ mask (width 32).
LaneArray<float> shfl_xor(const LaneArray<float>& v, int mask);
// __shfl_sync(0xffffffff, v, src): lane l reads lane src[l] % 32.
LaneArray<float> shfl(const LaneArray<float>& v, const LaneArray<int>& src_lane);
// The kernels' quad reductions: xor 1 then xor 2, so each lane of a quad ends with the result.
LaneArray<float> quad_allreduce_max(const LaneArray<float>& v);
LaneArray<float> quad_allreduce_sum(const LaneArray<float>& v);

struct FragA { float x[8] = {}; };
struct FragB { float x[4] = {}; };
struct FragC { float x[4] = {}; };
using WarpA = LaneArray<FragA>;
using WarpB = LaneArray<FragB>;
using WarpC = LaneArray<FragC>;

// Distribute row-major matrices into lane fragments by the maps above.
WarpA distribute_a(const float* a, int lda);          // 16x16
WarpB distribute_b(const float* b, int ldb);          // 16x8, stored [k][n]
WarpC distribute_c(const float* c, int ldc);          // 16x8
void gather_c(const WarpC& c, float* out, int ldc);   // inverse of distribute_c

// mma.sync.aligned.m16n8k16.row.col.f32.{bf16,f16}: the hardware sees whole matrices, so the
// model reassembles A and B from the lanes through the maps, multiplies in fp32 and scatters D
// back; a wrong map in a kernel therefore gives a wrong product here too.
void mma_m16n8k16(const WarpA& a, const WarpB& b, WarpC& c);

// Shared memory in the models: one float per 16-bit element of a region whose first element is
// 16-byte aligned, as the kernels align theirs. Row addresses are element offsets into it.
// ldmatrix and stmatrix need each row address 16-byte aligned (8 elements), so the emulation
// checks that for every lane of every call, and that the row's 8 elements lie inside the region:
// std::invalid_argument for a misaligned row, std::out_of_range for one that leaves the region.

// ldmatrix.x4: lane l supplies `row[l]`, the offset of row (l & 7) of matrix (l >> 3).
// Result[lane][2j+e] is element e of destination register j.
LaneArray<std::array<float, 8>> ldmatrix_x4(std::span<const float> smem, const LaneArray<int>& row, bool trans);

// stmatrix.sync.aligned.m8n8.x4.b16 (sm_90; PTX ISA "stmatrix"): the inverse of ldmatrix.x4
// without .trans. Lane l supplies `row[l]`, the offset of row (l & 7) of matrix (l >> 3);
// element e of register j of lane l (regs[l][2j+e]) is stored to row l/4, column 2(l%4)+e of
// matrix j.
void stmatrix_x4(std::span<float> smem, const LaneArray<int>& row, const LaneArray<std::array<float, 8>>& regs);

}  // namespace tb::kernels::warp
