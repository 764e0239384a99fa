#pragma once
// How the CUDA Adam kernel (kernels/cuda/adam.cu) splits n parameters between its 16-byte path
// and its scalar one, and how many blocks it launches: plain functions the CPU tests run
// (tests/kernels/test_adam_split.cpp). Megatron's Adam chunks are rarely multiples of 4
// (16,772,998 parameters, harness/workload/optimizer_step.cpp), so the packed loop takes the n/4
// whole packs and the first n % 4 threads of the grid take the leftover parameters one each:
// every chunk runs at the packed path's speed, not only the ones divisible by 4.
#include <cstdint>

#include "kernels/common/host_device.hpp"

namespace tb::kernels {

struct AdamSplit {
  int64_t packs = 0;       // parameters [4q, 4q + 4) for q < packs, as float4 loads and stores
  int64_t tail_begin = 0;  // 4·packs: parameters [tail_begin, tail_begin + tail) one at a time
  int64_t tail = 0;        // n % 4, at most 3
};

TB_HD inline AdamSplit adam_split(int64_t n) { return {n / 4, n / 4 * 4, n % 4}; }

// What thread `first` of a grid of `stride` threads updates: packs first, first + stride, ...
// (`pack(q)`: parameters [4q, 4q + 4)), and, where first < tail, the parameter tail_begin + first
// (`one(i)`). The CUDA kernel runs this walk, and so does the CPU test of it.
template <class Pack, class One>
TB_HD inline void adam_thread_walk(int64_t n, int64_t first, int64_t stride, Pack&& pack, One&& one) {
  const AdamSplit s = adam_split(n);
  for (int64_t q = first; q < s.packs; q += stride) pack(q);
  if (first < s.tail) one(s.tail_begin + first);
}

// Blocks of `threads` (at least 4) for n parameters: one thread per pack, and never fewer than
// the tail's threads (the first `tail` threads of block 0); at most `max_blocks`, the grid-stride
// loop covering the rest.
TB_HD inline int64_t adam_blocks(int64_t n, int64_t threads, int64_t max_blocks) {
  const AdamSplit s = adam_split(n);
  const int64_t work = s.packs > s.tail ? s.packs : s.tail;
  const int64_t wanted = (work + threads - 1) / threads;
  return wanted < 1 ? 1 : wanted > max_blocks ? max_blocks : wanted;
}

}  // namespace tb::kernels
