// The persistent pool behind parallel_for: every index once, exceptions reach the caller and
// leave the pool usable, nested and concurrent calls complete, and many back-to-back calls do not
// lose a wake-up (a lost one hangs the test, which ctest's timeout then reports).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "kernels/cpu/parallel_for.hpp"

namespace tb::kernels::cpu {
namespace {

// How many times parallel_for(n) ran each index.
std::vector<int> visits(int64_t n) {
  std::vector<std::atomic<int>> counts(static_cast<size_t>(n));
  parallel_for(n, [&](int64_t i) { counts[static_cast<size_t>(i)].fetch_add(1, std::memory_order_relaxed); });
  std::vector<int> out;
  for (const auto& c : counts) out.push_back(c.load());
  return out;
}

TEST(ParallelFor, VisitsEveryIndexExactlyOnce) {
  for (int64_t n : {0, 1, 2, 3, 1000}) {
    const std::vector<int> v = visits(n);
    EXPECT_EQ(std::count(v.begin(), v.end(), 1), n) << "n = " << n;
  }
}

TEST(ParallelFor, UsesAtMostOneThreadPerLogicalCpu) {
  const int threads = parallel_for_threads();
  EXPECT_EQ(threads, std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  std::mutex m;
  std::set<std::thread::id> seen;
  parallel_for(10'000, [&](int64_t) {
    const std::lock_guard lock(m);
    seen.insert(std::this_thread::get_id());
  });
  EXPECT_GE(seen.size(), 1u);
  EXPECT_LE(seen.size(), static_cast<size_t>(threads));
}

TEST(ParallelFor, ExceptionReachesTheCallerAndThePoolStillWorks) {
  const auto throw_at_37 = [] {
    parallel_for(1000, [](int64_t i) {
      if (i == 37) throw std::runtime_error("index 37");
    });
  };
  EXPECT_THROW(
      {
        try {
          throw_at_37();
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "index 37");
          throw;
        }
      },
      std::runtime_error);
  // Every index throwing: still one exception, after every thread stopped.
  EXPECT_THROW(parallel_for(1000, [](int64_t) { throw std::logic_error("each"); }), std::logic_error);

  const std::vector<int> v = visits(1000);
  EXPECT_EQ(std::count(v.begin(), v.end(), 1), 1000);
}

TEST(ParallelFor, NestedCallCompletes) {
  constexpr int64_t kOuter = 16, kInner = 64;
  std::vector<std::atomic<int>> counts(kOuter * kInner);
  parallel_for(kOuter, [&](int64_t i) {
    parallel_for(kInner, [&](int64_t j) { counts[static_cast<size_t>(i * kInner + j)].fetch_add(1); });
  });
  for (const auto& c : counts) EXPECT_EQ(c.load(), 1);
}

TEST(ParallelFor, ManyBackToBackSmallCallsComplete) {
  std::atomic<int64_t> total{0};
  int64_t expected = 0;
  for (int call = 0; call < 2000; ++call) {
    const int64_t n = 2 + call % 7;  // a few chunks each: every call wakes workers
    parallel_for(n, [&](int64_t) { total.fetch_add(1, std::memory_order_relaxed); });
    expected += n;
  }
  EXPECT_EQ(total.load(), expected);
}

TEST(ParallelFor, CallersOnTwoThreadsBothComplete) {
  // One of them gets the pool; the other runs serially rather than queueing behind it.
  std::atomic<int64_t> total{0};
  const auto caller = [&] {
    for (int call = 0; call < 200; ++call)
      parallel_for(100, [&](int64_t) { total.fetch_add(1, std::memory_order_relaxed); });
  };
  std::thread other(caller);
  caller();
  other.join();
  EXPECT_EQ(total.load(), 2 * 200 * 100);
}

}  // namespace
}  // namespace tb::kernels::cpu
