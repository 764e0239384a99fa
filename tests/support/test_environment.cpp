// Every test process, and every trainbench it spawns, measures the CPU's peaks afresh instead of
// reading and raising the user's ~/.cache/trainbench/peaks.json (harness/hardware/peak_cache.hpp):
// a test run must not change what later runs judge themselves by, and two test runs at once must
// not share a file. A TB_PEAK_CACHE set from outside is kept.
#include <cstdlib>

namespace {
const bool kPeakCacheOff = [] { return ::setenv("TB_PEAK_CACHE", "off", /*overwrite=*/0) == 0; }();
}  // namespace
