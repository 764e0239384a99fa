#pragma once
// A CPU has no datasheet memory bandwidth here, so the CPU pseudo-SKU measures one with
// McCalpin's STREAM triad (run by kernels/cpu/stream_triad.cpp). This file holds the pure part:
// how large the arrays must be, and how bytes and seconds become TB/s.
#include <cstdint>

namespace tb {

struct StreamTriadResult {
  int64_t elements = 0;  // per array; three arrays of doubles
  int threads = 0;
  int repetitions = 0;
  double best_seconds = 0;  // the fastest repetition, as STREAM reports
};

// STREAM's count for a[i] = b[i] + s*c[i]: two 8-byte reads and one 8-byte write per element.
// Write-allocate traffic is not counted, and neither is it in the kernels' own byte counts.
double stream_triad_bytes(int64_t elements);
double bandwidth_tb_s(double bytes, double seconds);
double stream_triad_tb_s(const StreamTriadResult& result);  // 0 for an empty or untimed result

// Elements per array: STREAM's rule is at least four times the last-level cache, so that no
// cache serves the triad; never below 64 MiB (cache size unknown), and at most 1 GiB, to keep
// the measurement well under a second.
int64_t stream_triad_elements(int64_t last_level_cache_bytes);

}  // namespace tb
