#pragma once
// The fp8 cast-transpose kernel's tiling (kernels/cuda/fp8_cast.cu), as functions both the CUDA
// kernel and the host tests compile: which element each thread reads, and which it writes
// transposed. tests/kernels/test_fp8_cast.cpp runs every thread of a block through them on the
// host and checks that the tile is read and written once each, transposed.
//
// One 256-thread block (8 warps) per 64 x 64 tile of the rows x cols input; blockIdx.x runs over
// the row tiles (up to 2^31 - 1), blockIdx.y over the column tiles (up to 65535, 4M columns).
// Load phase, 8 iterations: warp w reads tile row it*8 + w, lane l its columns 2l and 2l+1 (a warp
// reads 64 consecutive bf16 of one row, 128 bytes, one bf16 pair per lane where rows and cols are
// even) and writes them to y as one 2-byte pair. Store phase, 8 iterations: warp w writes output
// row (= tile column) it*8 + w, lane l the tile rows 2l and 2l+1 of that column (a warp writes 64
// consecutive fp8 bytes of one yt row, a 2-byte pair per lane).
#include <cstdint>

#include "kernels/common/host_device.hpp"

namespace tb::kernels::fp8cast {

inline constexpr int kTile = 64;
inline constexpr int kWarps = 8;
inline constexpr int kThreads = 32 * kWarps;
inline constexpr int kIterations = kTile / kWarps;  // 8 per phase
// Delayed scaling as Transformer Engine does it: x is multiplied by fp8_max / amax of an earlier step
// before the cast (fp8_max: 448 for e4m3, 57344 for e5m2; TE's DelayedScaling at margin 0). The
// inputs here are uniform in [-1, 1): the scale of an amax of 1, fp8_max itself (fp8_format.hpp).

struct TileCoord {
  int row;  // within the tile; the first of the pair in the store phase
  int col;  // within the tile; the first of the pair in the load phase
};

TB_HD inline TileCoord load_coord(int warp, int lane, int iteration) { return {iteration * kWarps + warp, 2 * lane}; }
TB_HD inline TileCoord store_coord(int warp, int lane, int iteration) { return {2 * lane, iteration * kWarps + warp}; }

// The padded shared-memory row (bytes). The store phase reads a column: lane l's rows 2l, 2l+1
// are 136 bytes (34 words) apart from lane l+1's, so lanes l and l+16 share a bank: a 2-way
// conflict on a phase that moves 64 bytes per warp, against a global write of the same 64 bytes.
inline constexpr int kSmemStride = kTile + 4;
// Max |x| over the block: each warp's by shuffles, then the 8 warps' through shared memory, then
// one atomicMax per block.
inline constexpr int kAmaxSlots = kWarps;

// Output positions: y is rows x cols row-major; yt is cols x rows row-major (y transposed).
TB_HD inline int64_t y_index(int64_t row, int64_t col, int64_t cols) { return row * cols + col; }
TB_HD inline int64_t yt_index(int64_t row, int64_t col, int64_t rows) { return col * rows + row; }

}  // namespace tb::kernels::fp8cast
