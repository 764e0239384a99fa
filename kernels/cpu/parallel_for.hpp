#pragma once
// A minimal parallel loop for the CPU kernels: attention's independent (batch, head) slices, the
// rows of the memory-bound ops, and fp64 reference rows. It is called inside timed regions, so it
// runs on a persistent pool (parallel_for.cpp) whose workers poll briefly after each call, then
// park: starting threads per call added tens of microseconds to every measured kernel. Plain
// std::thread: no OpenMP dependency.
#include <cstdint>

namespace tb::kernels::cpu {
namespace detail {

// fn(i) for i in [begin, end), with fn type-erased behind ctx: one indirect call per chunk.
using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end);
void run_parallel(int64_t n, RangeFn run_range, void* ctx);

}  // namespace detail

// Runs fn(i) for every i in [0, n) exactly once, on the calling thread and the pool's workers
// (one thread per logical CPU in all), and returns when all are done. The first exception fn
// throws is rethrown here once every thread has stopped; indices not yet started are skipped.
// Runs inline when n < 2, on a one-CPU machine, and when called from inside another
// parallel_for's fn (nested loops run serially rather than wait for busy workers).
template <typename Fn>
void parallel_for(int64_t n, Fn fn) {
  if (n <= 0) return;
  detail::RangeFn run_range = [](void* ctx, int64_t begin, int64_t end) {
    Fn& f = *static_cast<Fn*>(ctx);
    for (int64_t i = begin; i < end; ++i) f(i);
  };
  detail::run_parallel(n, run_range, &fn);
}

// Threads a parallel_for can use: the caller plus the pool's workers.
int parallel_for_threads();

}  // namespace tb::kernels::cpu
