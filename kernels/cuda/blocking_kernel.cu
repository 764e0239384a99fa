#include "kernels/cuda/timing_support.hpp"

namespace tb::kernels::cuda {
namespace {

__device__ inline uint64_t global_timer_ns() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__global__ void blocking_kernel(const volatile int32_t* flags, volatile int32_t* timed_out, uint64_t timeout_ns) {
  const uint64_t start = global_timer_ns();
  while (flags[0] == 0) {
    if (global_timer_ns() - start > timeout_ns) {
      *timed_out = 1;
      return;
    }
  }
}

__global__ void spin_kernel(uint64_t duration_ns) {
  const uint64_t start = global_timer_ns();
  while (global_timer_ns() - start < duration_ns) {
  }
}

}  // namespace

BlockingKernel::BlockingKernel(double timeout_ms) : timeout_ns_(static_cast<uint64_t>(timeout_ms * 1e6)) {
  void* host = nullptr;
  TB_CUDA_CHECK(cudaHostAlloc(&host, 2 * sizeof(int32_t), cudaHostAllocMapped));
  host_flags_ = static_cast<volatile int32_t*>(host);
  host_flags_[0] = 0;
  host_flags_[1] = 0;
  void* dev = nullptr;
  if (const cudaError_t err = cudaHostGetDevicePointer(&dev, host, 0); err != cudaSuccess) {
    cudaFreeHost(host);  // the destructor does not run for a throwing constructor
    host_flags_ = nullptr;
    TB_CUDA_CHECK(err);
  }
  device_flags_ = static_cast<int32_t*>(dev);
}

BlockingKernel::~BlockingKernel() {
  if (host_flags_) cudaFreeHost(const_cast<int32_t*>(host_flags_));
}

void BlockingKernel::block(cudaStream_t stream) {
  host_flags_[0] = 0;
  host_flags_[1] = 0;
  blocking_kernel<<<1, 1, 0, stream>>>(device_flags_, device_flags_ + 1, timeout_ns_);
  TB_CUDA_CHECK(cudaGetLastError());
}

void BlockingKernel::release() { host_flags_[0] = 1; }

bool BlockingKernel::timed_out() const { return host_flags_[1] != 0; }

void launch_spin_kernel(uint64_t duration_ns, cudaStream_t stream) {
  spin_kernel<<<1, 1, 0, stream>>>(duration_ns);
  TB_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tb::kernels::cuda
