#include "kernels/cpu/parallel_for.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace tb::kernels::cpu {
namespace {

// Set on pool workers, and on a caller while it works on its own job: a parallel_for issued from
// inside fn then runs serially, where waiting for workers that are all busy would deadlock.
thread_local bool in_parallel_region = false;

// About four chunks per thread: dynamic enough to even out uneven rows (causal attention, random
// reference rows), coarse enough that the shared counter is not contended per index.
constexpr int64_t kChunksPerThread = 4;

// How long a thread polls before it parks on a condition variable. A parked thread takes tens of
// microseconds to run again (longer on a VM, whose idle vCPU the host must reschedule): polling
// this long keeps workers hot across back-to-back calls and lets the caller see the last worker
// leave without being woken, at the price of this much CPU time after each call.
constexpr auto kSpinBeforeParking = std::chrono::microseconds(50);

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls done() until it holds or kSpinBeforeParking has passed; the caller then parks.
template <typename Done>
void spin_until(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinBeforeParking;
  for (int i = 1; !done(); ++i) {
    cpu_relax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() > deadline) return;
  }
}

// One parallel_for call. It lives on the caller's stack: the caller does not return before every
// worker that joined it has left.
struct Job {
  detail::RangeFn run_range = nullptr;
  void* ctx = nullptr;
  int64_t n = 0;
  int64_t chunk = 1;
  std::atomic<int64_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr first_error;  // guarded by error_mutex

  void work() {
    for (;;) {
      const int64_t begin = next.fetch_add(chunk, std::memory_order_relaxed);
      if (begin >= n) return;
      try {
        run_range(ctx, begin, std::min(n, begin + chunk));
      } catch (...) {
        const std::lock_guard lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        next.store(n, std::memory_order_relaxed);  // hand out no more chunks; the caller rethrows
      }
    }
  }
};

class ThreadPool {
 public:
  explicit ThreadPool(int workers) {
    for (int w = 0; w < workers; ++w) workers_.emplace_back([this] { worker_loop(); });
  }

  ~ThreadPool() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs job on this thread and the workers. False, without running it, while another thread's
  // job holds the pool: that caller then runs serially instead of queueing behind it.
  bool try_run(Job& job) {
    const std::unique_lock submit(submit_mutex_, std::try_to_lock);
    if (!submit.owns_lock()) return false;
    const int64_t chunks = (job.n + job.chunk - 1) / job.chunk;
    const int64_t helpers = std::min<int64_t>(chunks - 1, static_cast<int64_t>(workers_.size()));
    {
      const std::lock_guard lock(mutex_);
      job_ = &job;
      ++generation_;
    }
    // Waking every worker for a two-chunk job would only make the others sleep again.
    if (helpers == static_cast<int64_t>(workers_.size())) wake_.notify_all();
    else for (int64_t h = 0; h < helpers; ++h) wake_.notify_one();

    in_parallel_region = true;
    job.work();
    in_parallel_region = false;

    std::unique_lock lock(mutex_);
    job_ = nullptr;  // closed: a worker waking late finds nothing and sleeps again
    if (joined_ > 0) {
      lock.unlock();
      spin_until([this] { return joined_ == 0; });
      lock.lock();
    }
    all_left_.wait(lock, [this] { return joined_ == 0; });
    return true;
  }

 private:
  void worker_loop() {
    in_parallel_region = true;  // a worker only ever runs fn of some job
    uint64_t seen_generation = 0;
    std::unique_lock lock(mutex_, std::defer_lock);
    for (;;) {
      spin_until([&] { return stopping_ || generation_ != seen_generation; });
      lock.lock();
      // The predicate, read under the mutex, is what makes a notify that arrives before this
      // thread waits count: no lost wake-ups between back-to-back calls.
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
      if (stopping_) return;
      seen_generation = generation_;
      Job* job = job_;
      if (job == nullptr) {
        lock.unlock();
        continue;
      }
      ++joined_;
      lock.unlock();
      job->work();
      lock.lock();
      if (--joined_ == 0) all_left_.notify_one();
      lock.unlock();
    }
  }

  std::mutex submit_mutex_;  // one job at a time
  std::mutex mutex_;         // guards the job hand-over below
  std::condition_variable wake_;      // workers: a new job, or stop
  std::condition_variable all_left_;  // caller: the last worker in its job left
  // Atomic only so that spinning threads may poll them without the mutex; changed under it.
  std::atomic<uint64_t> generation_{0};  // one per job, so a worker joins each job at most once
  std::atomic<int> joined_{0};           // workers inside job_
  std::atomic<bool> stopping_{false};
  Job* job_ = nullptr;  // open for joining, or null
  std::vector<std::thread> workers_;
};

ThreadPool& pool() {
  // Created on first use, so processes that never run a CPU kernel start no threads.
  static ThreadPool instance(std::max(1, static_cast<int>(std::thread::hardware_concurrency())) - 1);
  return instance;
}

}  // namespace

namespace detail {

void run_parallel(int64_t n, RangeFn run_range, void* ctx) {
  if (n < 2 || in_parallel_region) return run_range(ctx, 0, n);
  ThreadPool& p = pool();
  if (p.threads() < 2) return run_range(ctx, 0, n);
  Job job;
  job.run_range = run_range;
  job.ctx = ctx;
  job.n = n;
  job.chunk = std::max<int64_t>(1, n / (kChunksPerThread * p.threads()));
  if (!p.try_run(job)) return run_range(ctx, 0, n);
  if (job.first_error) std::rethrow_exception(job.first_error);
}

}  // namespace detail

int parallel_for_threads() { return pool().threads(); }

}  // namespace tb::kernels::cpu
