#pragma once
// Shared-memory operands of Hopper's wgmma (sm_90a) as the fused wgmma attention forward
// (kernels/cuda/attention_fwd_wgmma.cu) lays them out, and the descriptor that tells the tensor
// cores where they are. Host tests (tests/kernels/test_wgmma_layout.cpp) check the writers
// against a model of the reader built from the PTX ISA text below.
//
// Source: PTX ISA 9.0, "Asynchronous Warpgroup Level Matrix Shared Memory Layout" and "Matrix
// Descriptor Format"; the same canonical form as CUTLASS's make_gmma_desc<Major::K>
// (INTERLEAVE: ((8,n),2):((1,SBO),LBO) in 16-byte units).
//   - Only K-major operands and no swizzle ("interleave"), the one layout both sources describe
//     the same way: a core matrix is 8 rows (M or N) × 16 bytes (8 K elements of 16 bits),
//     the 8 rows contiguous, 128 bytes in all.
//   - LBO (leading dimension byte offset) = distance between core matrices adjacent in K;
//     SBO (stride dimension byte offset) = distance between core matrices adjacent in M/N.
//   - Descriptor bits: 0-13 start address >> 4, 16-29 LBO >> 4, 32-45 SBO >> 4, 49-51 base
//     offset (0 without swizzle), 62-63 swizzle mode (0 = none).
// One wgmma k16 step of 16-bit inputs reads two core matrices along K: the descriptor of step s
// starts 2·s·LBO bytes after the tile's.
#include <cstdint>

#include "kernels/common/host_device.hpp"

namespace tb::kernels::wgmma {

struct KMajorTile {
  int lbo = 0;  // bytes between core matrices adjacent in K
  int sbo = 0;  // bytes between core matrices adjacent in M/N
};

// A rows × k_elems tile whose K core matrices are packed one after another (LBO = 128 B), the
// 8-row groups following each other (SBO = 16 B per K element of a row group).
TB_HD constexpr KMajorTile packed_k_major(int k_elems) { return {128, 16 * k_elems}; }

// Byte offset of 16-bit element (row, k) (row = M or N index) in the tile.
TB_HD constexpr int k_major_offset(int row, int k, KMajorTile t) {
  return (row / 8) * t.sbo + (k / 8) * t.lbo + (row % 8) * 16 + (k % 8) * 2;
}

TB_HD constexpr uint64_t descriptor(uint32_t smem_byte_address, KMajorTile t) {
  return (static_cast<uint64_t>((smem_byte_address & 0x3FFFF) >> 4)) |
         (static_cast<uint64_t>((static_cast<uint32_t>(t.lbo) & 0x3FFFF) >> 4) << 16) |
         (static_cast<uint64_t>((static_cast<uint32_t>(t.sbo) & 0x3FFFF) >> 4) << 32);
}

// The descriptor of k16 step `step` of a packed tile starting at `tile_address`: two core
// matrices along K per step.
TB_HD constexpr uint64_t k_step_descriptor(uint32_t tile_address, int step, KMajorTile t) {
  return descriptor(tile_address + static_cast<uint32_t>(step * 2 * t.lbo), t);
}

// Reader model: the shared-memory byte address from which one k16 wgmma step takes B element
// (n, k) (0 <= k < 16), decoded from the descriptor as the PTX ISA defines its fields.
TB_HD constexpr uint32_t descriptor_element_address(uint64_t desc, int n, int k) {
  const uint32_t start = static_cast<uint32_t>(desc & 0x3FFF) << 4;
  const uint32_t lbo = static_cast<uint32_t>((desc >> 16) & 0x3FFF) << 4;
  const uint32_t sbo = static_cast<uint32_t>((desc >> 32) & 0x3FFF) << 4;
  return start + static_cast<uint32_t>(n / 8) * sbo + static_cast<uint32_t>(k / 8) * lbo +
         static_cast<uint32_t>(n % 8) * 16 + static_cast<uint32_t>(k % 8) * 2;
}

// ---- K, the B operand of S = Q·Kᵀ, loaded by cp.async in 16-byte chunks ----
// Chunk c of a rows × k_elems tile: the row within a core matrix varies fastest, so the 8
// threads of a store phase fill one 128-byte core matrix (no bank conflicts), and a warp's 32
// chunks read 8 rows × 64 contiguous bytes of global memory (whole 32-byte sectors).
TB_HD constexpr int k_tile_chunk_row(int chunk, int k_elems) { return chunk % 8 + 8 * (chunk / k_elems); }
TB_HD constexpr int k_tile_chunk_col(int chunk, int k_elems) { return ((chunk / 8) % (k_elems / 8)) * 8; }

// ---- V → Vᵀ, the B operand of O += P·V ----
// V arrives [key][dim] (cp.async into a padded row-major tile, stride `lds` elements); wgmma
// wants B = Vᵀ (N = dims, K = keys) K-major, so each 8×8 block is transposed on the way:
// ldmatrix.x4.trans reads four blocks, stmatrix.x4 writes them as rows of Vᵀ core matrices.
// Block b of a keys × dims tile: key block b % (keys/8), dim block b / (keys/8). Warp w, round
// r, matrix j (0..3) handles block (r·warps + w)·4 + j.
TB_HD constexpr int vt_block(int round, int warp, int warps, int matrix) { return (round * warps + warp) * 4 + matrix; }
TB_HD constexpr int vt_block_key(int block, int keys) { return (block % (keys / 8)) * 8; }
TB_HD constexpr int vt_block_dim(int block, int keys) { return (block / (keys / 8)) * 8; }
// Row `row` (0..7) of the block as ldmatrix reads it: key (key0 + row), dims dim0..dim0+7.
TB_HD constexpr int vt_source_offset(int block, int row, int keys, int lds) {
  return (vt_block_key(block, keys) + row) * lds + vt_block_dim(block, keys);
}
// Row `row` of the transposed block as stmatrix writes it: dim (dim0 + row), keys key0..key0+7,
// 16 contiguous bytes of a Vᵀ core matrix (byte offset).
TB_HD constexpr int vt_dest_offset(int block, int row, int keys, KMajorTile t) {
  return k_major_offset(vt_block_dim(block, keys) + row, vt_block_key(block, keys), t);
}

}  // namespace tb::kernels::wgmma
