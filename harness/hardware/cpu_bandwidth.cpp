#include "harness/hardware/cpu_bandwidth.hpp"

#include <algorithm>

namespace tb {

double stream_triad_bytes(int64_t elements) { return 3.0 * sizeof(double) * static_cast<double>(elements); }

double bandwidth_tb_s(double bytes, double seconds) { return seconds > 0 ? bytes / seconds / 1e12 : 0.0; }

double stream_triad_tb_s(const StreamTriadResult& r) {
  return bandwidth_tb_s(stream_triad_bytes(r.elements), r.best_seconds);
}

int64_t stream_triad_elements(int64_t last_level_cache_bytes) {
  constexpr int64_t kMiB = int64_t{1} << 20;
  const int64_t array_bytes = std::clamp<int64_t>(4 * last_level_cache_bytes, 64 * kMiB, 1024 * kMiB);
  return array_bytes / static_cast<int64_t>(sizeof(double));
}

}  // namespace tb
