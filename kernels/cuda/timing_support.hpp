#pragma once
// The device-side pieces of a careful sample, after nvbench (NVIDIA/nvbench, nvbench/detail/
// l2flush.cuh and blocking_kernel.cuh): an L2 flush before every cold sample, and a kernel that
// holds the stream while the timed launches are queued behind it, so that the start event and
// the kernel run back to back and host launch overhead is not timed.
#include <cuda_runtime.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "kernels/cuda/device_buffer.hpp"

namespace tb::kernels::cuda {

// Reads a buffer twice the L2 size, evicting whatever a previous launch left there and leaving
// clean lines (l2_flush.cu says why a read, not nvbench's memset). nvbench flushes one L2's worth;
// twice is cheap insurance against L2 replacement policies keeping part of the working set
// (H100's L2 is two partitions of 25 MB). About 30 us a sample on an H100 (100 MB at ~3 TB/s),
// before the start event, so untimed.
class L2Flusher {
 public:
  explicit L2Flusher(int device);
  void flush(cudaStream_t stream);
  size_t buffer_bytes() const { return buffer_.bytes(); }

 private:
  DeviceBuffer buffer_;
  DeviceBuffer sink_;
  int blocks_ = 1;
};

// Spins on a host-mapped flag. Launch it, queue the timed work, then release(): the start event,
// the kernel and the stop event run back to back. It gives up after `timeout_ms` (a launch() that
// synchronizes would otherwise deadlock) and says so through timed_out().
class BlockingKernel {
 public:
  explicit BlockingKernel(double timeout_ms = 2000.0);
  ~BlockingKernel();
  BlockingKernel(const BlockingKernel&) = delete;
  BlockingKernel& operator=(const BlockingKernel&) = delete;
  void block(cudaStream_t stream);
  void release();
  bool timed_out() const;  // valid after the stream has passed the kernel

 private:
  volatile int32_t* host_flags_ = nullptr;  // [0] release flag, [1] timed-out flag
  int32_t* device_flags_ = nullptr;
  uint64_t timeout_ns_;
};

// One cold sample, nvbench's way (nvbench/detail/measure_cold.cu):
//   L2 flush → blocking kernel → start event → launch → stop event → release → synchronize.
// The flush evicts the previous sample's operands; the blocking kernel holds the stream while the
// events and the launch are queued, so the start event fires right before the kernel and host
// launch overhead stays out of the sample (it matters for kernels under ~10 µs). The CUDA backend
// times every sample through this; the GPU tests time a known-duration kernel through it.
// Launch the work once, outside the sampler, before its first sample: with lazy module loading a
// function's first launch may wait for the context to go idle, i.e. for the blocking kernel.
class ColdSampler {
 public:
  explicit ColdSampler(int device);
  ~ColdSampler();
  ColdSampler(const ColdSampler&) = delete;
  ColdSampler& operator=(const ColdSampler&) = delete;
  double sample_ms(cudaStream_t stream, const std::function<void()>& launch);
  // Hot: the same, without the L2 flush (tests compare the two).
  double hot_sample_ms(cudaStream_t stream, const std::function<void()>& launch);
  bool blocking() const { return use_blocker_; }
  // A new kernel starts with the blocker on again: one kernel's slow enqueue says nothing of the next.
  void new_kernel() { use_blocker_ = true; }

 private:
  double timed(cudaStream_t stream, const std::function<void()>& launch, bool flush);
  std::unique_ptr<L2Flusher> flusher_;
  std::unique_ptr<BlockingKernel> blocker_;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
  bool use_blocker_ = true;
};

// A kernel of known duration: one thread spins on the %globaltimer nanosecond clock. Tests time
// it to check the timing path end to end.
void launch_spin_kernel(uint64_t duration_ns, cudaStream_t stream);

}  // namespace tb::kernels::cuda
