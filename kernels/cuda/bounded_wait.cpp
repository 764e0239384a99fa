#include "kernels/cuda/bounded_wait.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "kernels/cuda/cuda_check.hpp"

namespace tb::kernels::cuda {
namespace {

std::atomic<bool> g_device_hung{false};

// Polls `query` (cudaEventQuery or cudaStreamQuery) until it reports done, fails, or the
// deadline passes. Yielding, not sleeping, between polls: cudaEventSynchronize spins the same
// way by default, and a sleep would add its granularity to every sample's wall time.
template <typename Query>
void poll_until_done(Query query, const char* call, const std::string& what, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const cudaError_t status = query();
    if (status == cudaSuccess) return;
    if (status != cudaErrorNotReady) throw_cuda_error(status, call, __FILE__, __LINE__);
    if (std::chrono::steady_clock::now() > deadline) {
      g_device_hung = true;
      throw DeviceLostError(fmt::format("{}: not finished after {:.3g} s ({} polled until the deadline); the "
                                        "kernel is taken as hung, and it still holds the device",
                                        what, std::chrono::duration<double>(timeout).count(), call));
    }
    std::this_thread::yield();
  }
}

}  // namespace

std::chrono::milliseconds kernel_hang_timeout() {
  static const std::chrono::milliseconds timeout = [] {
    const char* text = std::getenv("TRAINBENCH_GPU_WAIT_S");
    const double s = text ? std::atof(text) : 0.0;
    return s > 0 ? std::chrono::milliseconds(static_cast<int64_t>(s * 1000))
                 : std::chrono::milliseconds(kKernelHangTimeout);
  }();
  return timeout;
}

void wait_for_event(cudaEvent_t event, const std::string& what, std::chrono::milliseconds timeout) {
  poll_until_done([event] { return cudaEventQuery(event); }, "cudaEventQuery", what, timeout);
}

void wait_for_stream(cudaStream_t stream, const std::string& what, std::chrono::milliseconds timeout) {
  poll_until_done([stream] { return cudaStreamQuery(stream); }, "cudaStreamQuery", what, timeout);
}

bool device_hung() { return g_device_hung; }

void clear_device_hung_for_testing() { g_device_hung = false; }

}  // namespace tb::kernels::cuda
