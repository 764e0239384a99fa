#pragma once
// Waiting on an asynchronous NCCL state with a deadline, free of NCCL and CUDA types so that the
// loop runs in CI. A non-blocking communicator (ncclConfig_t::blocking = 0) answers
// ncclInProgress from its init and from any later call until the work behind it has settled; the
// NCCL docs' rule is to poll ncclCommGetAsyncError until it leaves ncclInProgress. A peer that
// died before joining keeps it there forever: the deadline turns that into an error the caller
// can act on (abort the communicator, say which rank waited on what).
#include <chrono>

namespace tb::kernels::comm {

enum class Progress { Done, Pending, Failed };

struct Settled {
  Progress state = Progress::Pending;  // Pending: the deadline passed first
  std::chrono::steady_clock::duration waited{};
};

// Polls `query()` (returns Progress) until it is not Pending or `limit` has passed since the first
// call, calling `pause()` between polls. `now()` reads the clock: injectable so that a test can
// run a five-minute deadline in no time. The query is asked once more after the deadline, so a
// state that settled during the last pause is not reported as timed out.
template <typename Query, typename Pause, typename Now>
Settled settle(Query query, std::chrono::steady_clock::duration limit, Pause pause, Now now) {
  const auto start = now();
  for (;;) {
    const Progress p = query();
    if (p != Progress::Pending) return {p, now() - start};
    if (now() - start > limit) {
      const Progress last = query();
      return {last, now() - start};
    }
    pause();
  }
}

}  // namespace tb::kernels::comm
