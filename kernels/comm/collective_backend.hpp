#pragma once
// What runs collectives: NCCL on device buffers (one process per GPU) or MPI on host buffers
// (so the multi-process path runs, and is tested, on a machine without a GPU). Like the kernel
// backends (kernels/backend.hpp), a backend prepares, launches and checks; it never decides how
// many samples to take — the timing core (harness/timing/measure_loop.hpp) does.
#include <memory>
#include <string>
#include <vector>

#include "harness/comm/collective.hpp"
#include "harness/comm/collective_data.hpp"
#include "harness/hardware/sku_config.hpp"
#include "kernels/comm/world.hpp"

namespace tb::kernels::comm {

// Where this rank's collectives run.
struct CommDevice {
  std::string backend;          // "nccl" or "mpi"
  bool device_memory = false;   // buffers on the GPU (NCCL) or in host memory (MPI)
  std::string device_name;      // GPU name, or "host memory (CPU)"
  int device_index = -1;
  std::string driver_version;
  std::string library_version;  // "NCCL 2.27.3" or the MPI library's
};

// One collective of one size with its buffers resident, inputs filled (collective_data.hpp).
class CollectiveRun {
 public:
  virtual ~CollectiveRun() = default;
  virtual void launch() = 0;  // one call; asynchronous on a GPU
  // `iterations` back-to-back launches, then a wait: milliseconds per launch on this rank.
  virtual double time_ms(int iterations) = 0;
  // Clears the output, launches once, waits and checks this rank's output on the host.
  // `corrupt_for_testing` plants a wrong value first (tests prove the check catches it).
  virtual tb::comm::CheckResult run_and_check(bool corrupt_for_testing) = 0;
  virtual double bytes_allocated() const = 0;
};

// nccl-tests times every size twice: out of place (an input and an output buffer) and in place
// (one buffer holding the input where the output's own piece goes: all-gather's input at
// rank x sendcount, reduce-scatter's output at rank x recvcount on NCCL), which spares the copy
// of a rank's own piece.
enum class Placement { OutOfPlace, InPlace };

class CollectiveBackend {
 public:
  virtual ~CollectiveBackend() = default;
  virtual CommDevice device() const = 0;
  // Whether `c` runs in place here with a result that can be checked.
  virtual bool runs_in_place(tb::comm::Collective c) const = 0;
  // Throws tb::UsageError for an unsupported dtype or collective, tb::RuntimeError on failure
  // (and for a placement runs_in_place refuses).
  virtual std::unique_ptr<CollectiveRun> prepare(tb::comm::Collective c, const tb::comm::BufferCounts& counts,
                                                 DType dtype, Placement placement) = 0;
  std::unique_ptr<CollectiveRun> prepare(tb::comm::Collective c, const tb::comm::BufferCounts& counts, DType dtype) {
    return prepare(c, counts, dtype, Placement::OutOfPlace);
  }
};

// "nccl", "mpi" or "auto" (NCCL when built with it and a GPU is usable, else MPI). "nccl"
// without a GPU is a RuntimeError saying why; unknown names a UsageError listing the accepted.
std::unique_ptr<CollectiveBackend> make_collective_backend(const std::string& name, World& world);
// Which of "nccl" and "mpi" this build has.
std::vector<std::string> built_collective_backends();
// The name "auto" resolves to here; whether the world must be MPI follows from it.
std::string resolve_backend_name(const std::string& name);

}  // namespace tb::kernels::comm
