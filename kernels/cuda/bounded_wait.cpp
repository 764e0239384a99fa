#include "kernels/cuda/bounded_wait.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <functional>

#include "kernels/common/bounded_poll.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/wait_interrupted.hpp"

namespace tb::kernels::cuda {
namespace {

std::atomic<bool> g_device_hung{false};

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Polls `query` (cudaEventQuery or cudaStreamQuery) until it reports done or fails, the deadline
// passes, or the run is interrupted (kernels/common/bounded_poll.hpp). In the last two cases the
// work still runs and holds the device: nothing after may wait for it (device_hung).
void wait_until_done(const std::function<cudaError_t()>& query, const char* call, const std::string& what,
                     std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  const PollOutcome outcome = poll_until_done(
      [&] {
        const cudaError_t status = query();
        if (status != cudaSuccess && status != cudaErrorNotReady) throw_cuda_error(status, call, __FILE__, __LINE__);
        return status == cudaSuccess;
      },
      timeout);
  if (outcome == PollOutcome::done) return;
  g_device_hung = true;
  if (outcome == PollOutcome::interrupted)
    throw WaitInterruptedError(fmt::format("{}: the run was interrupted while waiting for it ({:.3g} s of its {:.3g} s "
                                           "limit), and it was still running {:.3g} s later (hung, or slower than "
                                           "that); it still holds the device",
                                           what, seconds(std::chrono::steady_clock::now() - start - kInterruptGrace),
                                           seconds(timeout), seconds(kInterruptGrace)));
  throw DeviceLostError(fmt::format("{}: not finished after {:.3g} s ({} polled until the deadline); the "
                                    "kernel is taken as hung, and it still holds the device",
                                    what, seconds(timeout), call));
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
  wait_until_done([event] { return cudaEventQuery(event); }, "cudaEventQuery", what, timeout);
}

void wait_for_stream(cudaStream_t stream, const std::string& what, std::chrono::milliseconds timeout) {
  wait_until_done([stream] { return cudaStreamQuery(stream); }, "cudaStreamQuery", what, timeout);
}

bool device_hung() { return g_device_hung; }

void clear_device_hung_for_testing() { g_device_hung = false; }

}  // namespace tb::kernels::cuda
