// The CUDA timing path end to end: a kernel of known duration times at its duration, the L2
// flush makes an L2-resident kernel slower (cold vs hot), a wait gives up on a kernel past its
// deadline or at an interrupt, device listing, clocks, memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "gpu_test_support.hpp"
#include "kernels/common/bounded_poll.hpp"
#include "kernels/cuda/bounded_wait.hpp"
#include "kernels/cuda/memory_kernel.hpp"
#include "kernels/cuda/timing_support.hpp"
#include "kernels/wait_interrupted.hpp"

namespace tb::kernels {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(CudaBackend, ListsDevicesWithSaneFields) {
  TB_REQUIRE_GPU();
  const auto devices = cuda_devices();
  ASSERT_FALSE(devices.empty());
  for (const auto& d : devices) {
    EXPECT_EQ(d.backend, "cuda");
    EXPECT_FALSE(d.name.empty());
    EXPECT_GT(d.sm_count, 0);
    EXPECT_GE(d.compute_capability_major, 7);
    EXPECT_GT(d.memory_gb, 1.0);
    EXPECT_GT(d.l2_cache_bytes, 1e6);
    EXPECT_GT(d.sm_clock_mhz, 500.0);
    EXPECT_GT(d.memory_bandwidth_tb_s, 0.1);
    EXPECT_FALSE(d.cuda_runtime_version.empty());
    EXPECT_FALSE(d.cublas_version.empty());
    EXPECT_FALSE(d.driver_version.empty());
  }
  auto backend = make_backend("cuda");
  EXPECT_EQ(backend->device_info().name, devices[0].name);
  EXPECT_GT(backend->free_memory_bytes(), 1e9);
  if (auto clocks = backend->read_clocks()) {  // NVML may be absent in a container
    EXPECT_GT(clocks->sm_clock_mhz, 0.0);
    EXPECT_GE(clocks->power_w, 0.0);  // 0 where the board does not report power
  }
}

TEST(CudaBackend, KnownDurationKernelTimesAtItsDuration) {
  TB_REQUIRE_GPU();
  cudaStream_t stream;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  {
    cuda::ColdSampler sampler(0);
    // Load spin_kernel before the blocking kernel holds the stream (lazy module loading may
    // synchronize the context; CudaBackend::time_sample_ms warms every kernel the same way).
    cuda::launch_spin_kernel(1000, stream);
    ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
    for (uint64_t ns : {20'000ull, 200'000ull, 2'000'000ull}) {
      std::vector<double> ms;
      for (int i = 0; i < 11; ++i) ms.push_back(sampler.sample_ms(stream, [&] { cuda::launch_spin_kernel(ns, stream); }));
      const double expected_ms = ns / 1e6;
      // Within 3% plus 6 µs: a kernel's start-up on the device (events include it, about 2 µs)
      // and %globaltimer's granularity (up to 1 µs on some parts), with room; a unit or
      // event-order mistake is off by far more.
      EXPECT_NEAR(median(ms), expected_ms, 0.03 * expected_ms + 0.006) << ns << " ns";
    }
    EXPECT_TRUE(sampler.blocking()) << "the blocking kernel timed out";
  }
  cudaStreamDestroy(stream);
}

// A kernel still running at the deadline reads as a lost device (a hung kernel in a real run),
// naming the stage; once it has finished, the same wait returns.
TEST(CudaBackend, WaitPastItsDeadlineIsADeviceLost) {
  TB_REQUIRE_GPU();
  cudaStream_t stream;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  cudaEvent_t done;
  ASSERT_EQ(cudaEventCreate(&done), cudaSuccess);
  cuda::launch_spin_kernel(300'000'000, stream);  // 300 ms
  ASSERT_EQ(cudaEventRecord(done, stream), cudaSuccess);
  try {
    cuda::wait_for_event(done, "the test's spin kernel", std::chrono::milliseconds(20));
    ADD_FAILURE() << "a 300 ms kernel finished within a 20 ms wait";
  } catch (const DeviceLostError& e) {
    EXPECT_NE(std::string(e.what()).find("the test's spin kernel: not finished after"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(cuda::device_hung());
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);  // it was slow, not hung
  cuda::clear_device_hung_for_testing();
  EXPECT_NO_THROW(cuda::wait_for_stream(stream, "the finished stream", std::chrono::milliseconds(20)));
  cudaEventDestroy(done);
  cudaStreamDestroy(stream);
}

// An interrupt (gpu-check's SIGTERM at a step's cap) ends a wait on a kernel still running after
// the interrupt's grace, long before the wait's own deadline, as a WaitInterruptedError naming the
// stage; the kernel still holds the device.
TEST(CudaBackend, AnInterruptEndsAWaitOnARunningKernel) {
  TB_REQUIRE_GPU();
  cudaStream_t stream;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  std::atomic<bool> interrupted{true};
  const auto* before = watch_interrupt_flag(&interrupted);
  cuda::launch_spin_kernel(1'000'000'000, stream);  // 1 s, twice the interrupt's grace
  const auto start = std::chrono::steady_clock::now();
  try {
    cuda::wait_for_stream(stream, "the test's spin kernel", std::chrono::seconds(30));
    ADD_FAILURE() << "a 1 s kernel finished within the interrupt's 0.5 s grace";
  } catch (const WaitInterruptedError& e) {
    EXPECT_NE(std::string(e.what()).find("the test's spin kernel: the run was interrupted"), std::string::npos)
        << e.what();
  }
  const double took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(took_s, 0.9) << "the wait outlasted the interrupt's grace";
  watch_interrupt_flag(before);
  EXPECT_TRUE(cuda::device_hung());
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);  // it was slow, not hung
  cuda::clear_device_hung_for_testing();
  cudaStreamDestroy(stream);
}

TEST(CudaBackend, L2FlushMakesAnL2ResidentKernelSlower) {
  TB_REQUIRE_GPU();
  cudaStream_t stream;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  {
    // residual add of 512×2048 fp32: 3 tensors, 12 MB. H100's 50 MB L2 (A100: 40 MB) is two
    // partitions, and data read by SMs on both sides can be held in both, so the hot working set
    // must fit one partition (25 MB; 20 MB on A100) to stay L2-resident: 24 MB did not, surely.
    Op op;
    op.name = "l2.residual";
    op.kind = OpKind::ResidualAdd;
    op.dtype = DType::FP32;
    op.memory = {512, 2048};
    auto kernel = cuda::make_memory_kernel(op, {}, stream);
    cuda::ColdSampler sampler(0);
    kernel->launch();  // load the kernel outside the blocking kernel (see above)
    ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
    std::vector<double> cold, hot;
    for (int i = 0; i < 21; ++i) {
      cold.push_back(sampler.sample_ms(stream, [&] { kernel->launch(); }));
      hot.push_back(sampler.hot_sample_ms(stream, [&] { kernel->launch(); }));
    }
    EXPECT_GT(median(cold), 1.15 * median(hot)) << "cold " << median(cold) << " ms, hot " << median(hot) << " ms";
  }
  cudaStreamDestroy(stream);
}

// The flush buffer is zeroed on the legacy default stream, which the flushes' stream
// (cudaStreamNonBlocking, as CudaBackend's) does not wait for: the constructor waits for the
// zeroing itself. Queued behind a blocking kernel on the legacy stream, the zeroing cannot end
// before the kernel is released, so a constructor that did not wait returns with it still queued.
TEST(CudaBackend, L2FlusherIsZeroedBeforeItsConstructorReturns) {
  TB_REQUIRE_GPU();
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  cuda::BlockingKernel blocker(10'000);  // gives up by itself after 10 s at worst
  blocker.block(cudaStreamLegacy);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    blocker.release();
  });
  std::unique_ptr<cuda::L2Flusher> flusher;
  try {
    flusher = std::make_unique<cuda::L2Flusher>(0);
  } catch (...) {
    releaser.join();
    throw;
  }
  const cudaError_t queued = cudaStreamQuery(cudaStreamLegacy);
  releaser.join();
  ASSERT_EQ(cudaStreamSynchronize(cudaStreamLegacy), cudaSuccess);
  EXPECT_FALSE(blocker.timed_out()) << "released after 300 ms, yet the blocking kernel gave up";
  if (flusher->buffer_bytes() == 0) GTEST_SKIP() << "the device reports no L2: nothing to zero";
  EXPECT_EQ(queued, cudaSuccess) << "L2Flusher's constructor returned before its buffer was zeroed ("
                                 << cudaGetErrorName(queued) << "): a flush on a non-blocking stream could read it "
                                                                "first";
}

}  // namespace
}  // namespace tb::kernels
