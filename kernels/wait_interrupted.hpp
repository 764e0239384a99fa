#pragma once
// The one outcome of a wait on the device that is neither done nor a lost device (backend.hpp):
// thrown by kernels/cuda/bounded_wait.cpp, recorded by harness/runner/measure_op.cpp.
#include "kernels/backend.hpp"

namespace tb::kernels {

// The run was interrupted (SIGINT, SIGTERM) while a wait on the device was still waiting: the
// kernel still runs, maybe hung, and holds the device, so to everything but the runner this is a
// lost device. The runner records the kernel as interrupted, not failed, and keeps the results.
class WaitInterruptedError : public DeviceLostError {
 public:
  using DeviceLostError::DeviceLostError;
};

}  // namespace tb::kernels
