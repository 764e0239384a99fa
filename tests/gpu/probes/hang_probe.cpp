// tb_hang_probe: what a hung kernel does to trainbench's process, asked on a real GPU by
// tests/gpu/test_hang_probe.cpp, which spawns it and kills it at its deadline. It launches a kernel
// that never ends within the test (the sampler's blocking kernel, whose host-mapped flag is never
// set), waits for it through the bounded wait (TRAINBENCH_GPU_WAIT_S, which the test sets to 1),
// writes its results file atomically, and leaves in one of two ways:
//   trainbench  as trainbench does now: the device marked lost, as measure_op marks it, then
//               cli::finish_process (std::_Exit); the test's pass/fail
//   return      as trainbench did before cli/exit_path: main returns, and exit() runs the CUDA
//               runtime's teardown while the kernel still holds the device; a finding either way
// Everything CUDA is left to the process's end after the hang, as CudaBackend and DeviceBuffer
// leave theirs. Each phase is stamped on stderr in seconds since start, so that a log cut off by
// the kill shows where the process stuck.
// Usage: tb_hang_probe RESULTS_FILE return|trainbench. The results file reads
// "device_lost=1\nwait_s=1.000\n". Exit status 0 when the wait gave DeviceLostError, 1 when it did
// not or the kernel did not start, 2 on usage.
#include <cuda_runtime.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "cli/exit_path.hpp"
#include "harness/results/results_io.hpp"
#include "harness/runner/device_state.hpp"
#include "kernels/backend.hpp"
#include "kernels/cuda/bounded_wait.hpp"
#include "kernels/cuda/cuda_check.hpp"
#include "kernels/cuda/timing_support.hpp"

namespace {

// The kernel gives up by itself after this: far past the test's 6 s deadline, so that a teardown
// waiting for the kernel still reads as stuck, and short enough that, should the driver fail to
// reclaim the GPU from the killed probe, the next step of gpu-check finds it free again.
constexpr double kKernelGivesUpMs = 20'000;

const auto g_start = std::chrono::steady_clock::now();

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void stamp(const std::string& what) {  // stderr is unbuffered: each line is out before the next call
  std::fprintf(stderr, "hang_probe +%.3f s: %s\n", seconds_since(g_start), what.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[2] : "";
  if (mode != "return" && mode != "trainbench") {
    std::fprintf(stderr, "usage: tb_hang_probe RESULTS_FILE return|trainbench\n");
    return 2;
  }
  const std::string results_path = argv[1];
  // Registered before the first CUDA call, so it runs after every exit handler registered since
  // (the CUDA runtime's, where it registers them when it starts): a log that ends with "returning
  // from main" and without this line stuck in one of those.
  std::atexit([] { stamp("exit: the handlers registered after main started have returned"); });
  stamp(fmt::format("start, leaving by '{}'", mode));

  namespace cuda = tb::kernels::cuda;
  cudaStream_t stream = nullptr;
  try {
    TB_CUDA_CHECK(cudaSetDevice(0));
    TB_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));  // as CudaBackend's
    // Never deleted: its destructor frees pinned memory, which waits for the device.
    auto* kernel = new cuda::BlockingKernel(kKernelGivesUpMs);
    stamp("CUDA context and stream ready");
    kernel->block(stream);
    stamp(fmt::format("kernel launched: it spins on a flag that is never set (gives up by itself after {:.0f} s)",
                      kKernelGivesUpMs / 1e3));
  } catch (const std::exception& e) {
    stamp(fmt::format("could not start the kernel: {}", e.what()));
    return 1;
  }

  const auto limit = cuda::kernel_hang_timeout();
  stamp(fmt::format("waiting through the bounded wait, limit {:.3g} s", std::chrono::duration<double>(limit).count()));
  const auto wait_start = std::chrono::steady_clock::now();
  bool lost = false;
  std::string error = "the wait returned: the kernel finished";
  try {
    cuda::wait_for_stream(stream, "the hang probe's kernel", limit);
  } catch (const tb::kernels::DeviceLostError& e) {
    lost = true;
    error = e.what();
  } catch (const std::exception& e) {
    error = e.what();
  }
  const double wait_s = seconds_since(wait_start);
  stamp(fmt::format("{} after {:.3f} s: {}", lost ? "DeviceLostError" : "NO DeviceLostError", wait_s, error));
  if (lost && mode == "trainbench") tb::runner::mark_device_lost(error);

  try {
    tb::results::write_file_atomic(results_path, fmt::format("device_lost={}\nwait_s={:.3f}\n", lost ? 1 : 0, wait_s));
  } catch (const std::exception& e) {
    stamp(fmt::format("could not write the results: {}", e.what()));
    return 1;
  }
  stamp("results written to " + results_path);
  const int code = lost ? 0 : 1;
  if (mode == "trainbench") {
    stamp("leaving as trainbench does (cli::finish_process)");
    return tb::cli::finish_process(code);
  }
  stamp("returning from main: exit() and the CUDA runtime's teardown follow, the kernel still running");
  return code;
}
