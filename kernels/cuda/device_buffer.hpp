#pragma once
// An owning device allocation. Allocation failure is kernels::OutOfMemoryError (recorded as
// "oom"); callers check the size against free memory first (check_fits) so that an over-memory
// shape is refused before cudaMalloc, with the numbers in the message.
#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <utility>

#include "kernels/cuda/bounded_wait.hpp"
#include "kernels/cuda/cuda_check.hpp"

namespace tb::kernels::cuda {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes) : bytes_(bytes) {
    if (bytes > 0) TB_CUDA_CHECK(cudaMalloc(&ptr_, bytes));
  }
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(bytes_, o.bytes_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    // cudaFree waits for the device to go idle, which it never does behind a hung kernel: the
    // memory is then left to the process's end, which follows soon (the device is lost).
    if (ptr_ && !device_hung()) cudaFree(ptr_);
  }
  void* get() const { return ptr_; }
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// Refuses (OutOfMemoryError) an allocation of `bytes` that cannot fit in the device's free
// memory less a 5% margin for cuBLASLt's and the driver's own allocations.
inline void check_fits(double bytes, const std::string& what) {
  size_t free_bytes = 0, total_bytes = 0;
  TB_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  if (bytes > 0.95 * static_cast<double>(free_bytes))
    throw OutOfMemoryError(what + " needs " + std::to_string(bytes / 1e9) + " GB of device memory; " +
                           std::to_string(static_cast<double>(free_bytes) / 1e9) + " GB free of " +
                           std::to_string(static_cast<double>(total_bytes) / 1e9) + " GB");
}

}  // namespace tb::kernels::cuda
