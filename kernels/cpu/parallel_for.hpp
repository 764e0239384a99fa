#pragma once
// A minimal parallel loop for the CPU kernels: attention's independent (batch, head) slices, the
// rows of the memory-bound ops, and fp64 reference rows. Plain std::thread: no OpenMP dependency.
#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

namespace tb::kernels::cpu {

// Runs fn(i) for i in [0, n) on up to hardware_concurrency threads (interleaved indices).
template <typename Fn>
void parallel_for(int64_t n, Fn fn) {
  const int64_t threads =
      std::max<int64_t>(1, std::min<int64_t>(n, static_cast<int64_t>(std::thread::hardware_concurrency())));
  if (threads == 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int64_t i = t; i < n; i += threads) fn(i);
    });
  for (auto& th : pool) th.join();
}

}  // namespace tb::kernels::cpu
