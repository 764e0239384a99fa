#pragma once
// This machine's last-level cache, from sysfs: what a cold sample must flush (the CPU backend)
// and what the STREAM triad's arrays must dwarf (cpu_bandwidth.hpp).
#include <cstdint>
#include <string>

namespace tb {

// A sysfs cache size ("32768K", "1M", "512") in bytes; 0 when it is not one.
int64_t parse_cache_size(const std::string& text);
// All last-level cache of this machine: each distinct instance (an EPYC has one L3 per CCX),
// keyed by the CPUs that share it, summed; 0 when sysfs says nothing.
int64_t local_last_level_cache_bytes();

}  // namespace tb
