#pragma once
// One naming of a kernel as a Google Benchmark benchmark, for the live pass-through of gemm,
// attention, sweep and health (runner::gbench_name registers it) and for `export` alike: a
// dashboard fed both must see one series per kernel, not two.
#include <string>

namespace tb::exporting {

// "gemm/256x256x256/fwd/fp32": the kernel, each word of its shape, the dtype, '/' between.
std::string gbench_base_name(const std::string& kernel, const std::string& shape, const std::string& dtype);

// The label beside it ("256x256x256 fwd fp32"), with " UNVERIFIED" after a kernel whose output
// was not checked (--no-verify), as the tables print it: a reader of either JSON sees that its
// numbers stand unchecked (the `verified` counter says it to a machine).
std::string gbench_label(const std::string& shape, const std::string& dtype, bool verified);

// What Google Benchmark appends to a benchmark registered as trainbench registers its kernels
// (->Iterations(1)->UseManualTime(): one iteration whose manual time is the median), in the
// name of each run it reports.
inline constexpr const char* kGbenchRunSuffix = "/iterations:1/manual_time";

}  // namespace tb::exporting
