#include "harness/runner/interrupt.hpp"

#include <time.h>

#include <atomic>
#include <csignal>
#include <cstdint>

#include "harness/common/errors.hpp"
#include "kernels/common/bounded_poll.hpp"

namespace tb::runner {
namespace {

// Lock-free atomics are async-signal-safe ([support.signal] in C++17 and later).
std::atomic<bool> g_interrupted{false};
std::atomic<int64_t> g_first_signal_ns{0};
std::atomic<int> g_first_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free);
static_assert(std::atomic<int64_t>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);

// One interrupt often arrives twice at once: coreutils `timeout` signals its child and then the
// child's process group, and a terminal's Ctrl-C reaches every process of the foreground group.
// A repeat within this window is that same interrupt, not the user insisting.
constexpr int64_t kSameInterruptNs = 1'000'000'000;

int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // async-signal-safe (POSIX.1-2008)
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

extern "C" void on_signal(int sig) {
  const int64_t now = monotonic_ns();
  // The time first, then the flag: a second signal on another thread sees a time once it sees
  // an earlier signal at all.
  int64_t first = 0;
  if (g_first_signal_ns.compare_exchange_strong(first, now)) {
    g_first_signal.store(sig);
    g_interrupted.store(true);
    return;
  }
  if (now - first < kSameInterruptNs) return;
  std::signal(sig, SIG_DFL);  // a second signal, later: the user means it
  std::raise(sig);
}

}  // namespace

void install_interrupt_handler() {
  static const bool installed = [] {
    // The waits on the device watch the same flag: an interrupt reaches a wait on a hung kernel,
    // which otherwise would poll on to its deadline, past the SIGKILL that follows a SIGTERM.
    kernels::watch_interrupt_flag(&g_interrupted);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    return true;
  }();
  (void)installed;
}

bool interrupted() { return g_interrupted.load(); }
void reset_interrupted() {
  g_interrupted.store(false);
  g_first_signal_ns.store(0);
  g_first_signal.store(0);
}
void request_interrupt() { g_interrupted.store(true); }
int interrupted_exit_code() {
  const int sig = g_first_signal.load();
  // 128 + the signal: how a shell reports a process that signal ended (kExitInterrupted is SIGINT's).
  return sig > 0 ? 128 + sig : kExitInterrupted;
}

}  // namespace tb::runner
