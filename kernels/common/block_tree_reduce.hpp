#pragma once
// The shared-memory tree of the memory-bound CUDA kernels' block reduction
// (memdev::block_reduce in kernels/cuda/memory_device.cuh), as a step that the host can run.
// Phase s (s = threads/2, threads/4, …, 1) lets thread t < s fold slot t + s into slot t; a
// barrier separates phases. Within a phase every slot read by one thread (t + s >= s) is
// written by none (writes go to t < s), so running the threads of a phase one after another, in
// any order, computes exactly what the block computes: tests/kernels/test_block_reduce.cpp does.
#include "kernels/common/host_device.hpp"

namespace tb::kernels::blockred {

TB_HD constexpr bool is_power_of_two(int n) { return n > 0 && (n & (n - 1)) == 0; }

// `combine` is found by argument-dependent lookup in the state's namespace (memops::MeanVar,
// memops::OnlineSoftmax, memdev::Sum2, ...): a state type brings its own merge.
template <typename S>
TB_HD inline void tree_phase(S* partial, int thread, int stride) {
  if (thread < stride) partial[thread] = combine(partial[thread], partial[thread + stride]);
}

}  // namespace tb::kernels::blockred
