#pragma once
// McCalpin's STREAM triad on every thread of the parallel_for pool: the memory bandwidth of the
// CPU pseudo-SKU, against which the CPU's memory-bound kernels report their % of peak.
#include <cstdint>

#include "harness/hardware/cpu_bandwidth.hpp"

namespace tb::kernels::cpu {

// a[i] = b[i] + s*c[i] over `elements` doubles per array, timed `repetitions` times; the result
// keeps the fastest. Throws if the arrays do not hold the triad's values afterwards.
StreamTriadResult measure_stream_triad(int64_t elements, int repetitions);
// Arrays sized from this machine's last-level cache (stream_triad_elements), best of 5: a few
// hundred milliseconds on a desktop.
StreamTriadResult measure_local_stream_triad();

}  // namespace tb::kernels::cpu
