#pragma once
// Waits that give up. cudaEventSynchronize and cudaStreamSynchronize block for as long as the
// work runs, so a kernel that never finishes (a deadlock in a kernel on its first real GPU)
// would hold the process until an outer time limit kills it, and every result with it. These
// poll instead and, past the deadline, throw DeviceLostError: the run records the kernel as
// failed, skips the ones after it and keeps its results, as for any lost device (backend.hpp).
// An interrupt (SIGINT, SIGTERM) ends them too, WaitInterruptedError, where the work has not
// finished soon after it (kernels/common/bounded_poll.hpp): the kernel is recorded as interrupted
// and the results kept, before the SIGKILL that follows a `timeout`'s SIGTERM can take them.
#include <cuda_runtime.h>

#include <chrono>
#include <string>

namespace tb::kernels::cuda {

// Far above any one launch the models time (their largest GEMMs and attention passes take about
// a second on an H100). scripts/gpu-check.sh sets a shorter limit where a step's cap is shorter
// (TRAINBENCH_GPU_WAIT_S, 4 s under the cap), so that a hang is recorded inside the cap.
inline constexpr std::chrono::seconds kKernelHangTimeout{30};

// kKernelHangTimeout, or TRAINBENCH_GPU_WAIT_S seconds where set to a positive number: under
// compute-sanitizer (10-100x slower) or for a huge fp64 GEMM on a consumer card, 30 s is no hang.
std::chrono::milliseconds kernel_hang_timeout();

// cudaEventSynchronize(event) within `timeout`, or until an interrupt; `what` names the kernel or
// stage in the error.
void wait_for_event(cudaEvent_t event, const std::string& what,
                    std::chrono::milliseconds timeout = kernel_hang_timeout());
// cudaStreamSynchronize(stream) within `timeout`.
void wait_for_stream(cudaStream_t stream, const std::string& what,
                     std::chrono::milliseconds timeout = kernel_hang_timeout());

// True once a wait gave up: the hung kernel still holds the device, and cudaFree or a stream
// synchronize would wait for it forever. Owners then leave their memory to the process's end.
bool device_hung();
void clear_device_hung_for_testing();  // after the slow kernel of a test has finished

}  // namespace tb::kernels::cuda
