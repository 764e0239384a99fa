#include "kernels/common/bounded_poll.hpp"

#include <optional>
#include <thread>

namespace tb::kernels {
namespace {

std::atomic<const std::atomic<bool>*> g_interrupt_flag{nullptr};

}  // namespace

const std::atomic<bool>* watch_interrupt_flag(const std::atomic<bool>* flag) { return g_interrupt_flag.exchange(flag); }

bool wait_interrupt_requested() {
  const std::atomic<bool>* flag = g_interrupt_flag.load(std::memory_order_acquire);
  return flag && flag->load(std::memory_order_relaxed);
}

// Yielding, not sleeping, between polls: cudaEventSynchronize spins the same way by default, and a
// sleep would add its granularity to every sample's wall time.
PollOutcome poll_until_done(const std::function<bool()>& is_done, std::chrono::milliseconds timeout,
                            std::chrono::milliseconds interrupt_grace) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  std::optional<Clock::time_point> interrupt_seen;
  for (;;) {
    if (is_done()) return PollOutcome::done;
    const auto now = Clock::now();
    if (!interrupt_seen && wait_interrupt_requested()) interrupt_seen = now;
    if (interrupt_seen && now - *interrupt_seen >= interrupt_grace) return PollOutcome::interrupted;
    if (now > deadline) return PollOutcome::timed_out;
    std::this_thread::yield();
  }
}

}  // namespace tb::kernels
