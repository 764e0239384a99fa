#include "kernels/cpu/stream_triad.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <stdexcept>

#include "harness/hardware/cpu_cache.hpp"
#include "kernels/cpu/parallel_for.hpp"

namespace tb::kernels::cpu {
namespace {

// Work is handed out in contiguous blocks (512 KiB of each array): long unit-stride runs for the
// prefetchers, and enough blocks for the pool to balance threads.
constexpr int64_t kBlockElements = int64_t{1} << 16;

template <typename Fn>
void for_each_block(int64_t elements, Fn fn) {
  const int64_t blocks = (elements + kBlockElements - 1) / kBlockElements;
  parallel_for(blocks, [&](int64_t block) {
    const int64_t begin = block * kBlockElements;
    fn(begin, std::min(elements, begin + kBlockElements));
  });
}

}  // namespace

StreamTriadResult measure_stream_triad(int64_t elements, int repetitions) {
  constexpr double kB = 2.0, kC = 0.5, kScalar = 3.0;
  // Left uninitialised so that the first touch below happens on the pool's threads: on a NUMA
  // machine the pages then land near the threads that stream them.
  auto a = std::make_unique_for_overwrite<double[]>(static_cast<size_t>(elements));
  auto b = std::make_unique_for_overwrite<double[]>(static_cast<size_t>(elements));
  auto c = std::make_unique_for_overwrite<double[]>(static_cast<size_t>(elements));
  for_each_block(elements, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      a[i] = 0.0;
      b[i] = kB;
      c[i] = kC;
    }
  });

  StreamTriadResult r;
  r.elements = elements;
  r.threads = parallel_for_threads();
  r.repetitions = repetitions;
  r.best_seconds = std::numeric_limits<double>::infinity();
  for (int rep = 0; rep < repetitions; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    for_each_block(elements, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) a[i] = b[i] + kScalar * c[i];
    });
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    r.best_seconds = std::min(r.best_seconds, took.count());
  }
  // STREAM checks its arrays too; here it also keeps the stores from being optimised away.
  const double expected = kB + kScalar * kC;
  if (elements > 0 && (a[0] != expected || a[elements - 1] != expected))
    throw std::runtime_error(
        fmt::format("STREAM triad: a[] holds {} and {}, expected {}", a[0], a[elements - 1], expected));
  return r;
}

StreamTriadResult measure_local_stream_triad() {
  // Best of 20, not STREAM's 10 or fewer: on a shared host a few repetitions can all be slowed,
  // and memory-bound kernels then run "above the peak".
  return measure_stream_triad(stream_triad_elements(local_last_level_cache_bytes()), 20);
}

}  // namespace tb::kernels::cpu
