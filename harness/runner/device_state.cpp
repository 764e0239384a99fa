#include "harness/runner/device_state.hpp"

#include <mutex>

namespace tb::runner {
namespace {

std::mutex g_mutex;
std::optional<std::string> g_reason;

}  // namespace

void mark_device_lost(const std::string& reason) {
  const std::lock_guard lock(g_mutex);
  if (!g_reason) g_reason = reason;
}

std::optional<std::string> device_lost() {
  const std::lock_guard lock(g_mutex);
  return g_reason;
}

void reset_device_lost() {
  const std::lock_guard lock(g_mutex);
  g_reason.reset();
}

}  // namespace tb::runner
