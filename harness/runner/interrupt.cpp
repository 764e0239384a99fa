#include "harness/runner/interrupt.hpp"

#include <atomic>
#include <csignal>

namespace tb::runner {
namespace {

// Lock-free atomics are async-signal-safe ([support.signal] in C++17 and later).
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_signal(int sig) {
  if (g_interrupted.exchange(true)) {
    std::signal(sig, SIG_DFL);  // second signal: the user means it
    std::raise(sig);
  }
}

}  // namespace

void install_interrupt_handler() {
  static const bool installed = [] {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    return true;
  }();
  (void)installed;
}

bool interrupted() { return g_interrupted.load(); }
void reset_interrupted() { g_interrupted.store(false); }
void request_interrupt() { g_interrupted.store(true); }

}  // namespace tb::runner
