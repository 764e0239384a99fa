#include <cstdio>

#include "kernels/cuda/bounded_wait.hpp"
#include "kernels/cuda/timing_support.hpp"

namespace tb::kernels::cuda {

ColdSampler::ColdSampler(int device)
    : flusher_(std::make_unique<L2Flusher>(device)), blocker_(std::make_unique<BlockingKernel>()) {
  TB_CUDA_CHECK(cudaEventCreate(&start_));
  TB_CUDA_CHECK(cudaEventCreate(&stop_));
}

ColdSampler::~ColdSampler() {
  cudaEventDestroy(start_);
  cudaEventDestroy(stop_);
}

double ColdSampler::sample_ms(cudaStream_t stream, const std::function<void()>& launch) {
  return timed(stream, launch, true);
}

double ColdSampler::hot_sample_ms(cudaStream_t stream, const std::function<void()>& launch) {
  return timed(stream, launch, false);
}

double ColdSampler::timed(cudaStream_t stream, const std::function<void()>& launch, bool flush) {
  if (flush) flusher_->flush(stream);
  const bool blocking = use_blocker_;
  if (blocking) blocker_->block(stream);
  {
    // Never leave the stream held: the release runs on every path out of this scope, including a
    // throwing cudaEventRecord (before, only launch() was covered and the stream then sat on the
    // blocking kernel until its timeout). release() is a plain store and cannot throw.
    struct ReleaseOnExit {
      BlockingKernel* blocker;
      ~ReleaseOnExit() {
        if (blocker) blocker->release();
      }
    } guard{blocking ? blocker_.get() : nullptr};
    TB_CUDA_CHECK(cudaEventRecord(start_, stream));
    launch();
    TB_CUDA_CHECK(cudaEventRecord(stop_, stream));
  }  // released here, after everything timed is enqueued
  wait_for_event(stop_, "a timed sample (L2 flush, blocking kernel, launch)");
  if (blocking && blocker_->timed_out()) {
    // launch() took longer to enqueue than the timeout (or waited on the stream itself): this
    // sample may hold enqueue time, so it is dropped and taken again without the blocker, which
    // stays off for this kernel (new_kernel() turns it back on). nvbench warns the same way.
    use_blocker_ = false;
    std::fprintf(stderr, "trainbench: warning: blocking kernel timed out; timing this kernel without it\n");
    return timed(stream, launch, flush);
  }
  float ms = 0;
  TB_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
  return ms;
}

}  // namespace tb::kernels::cuda
