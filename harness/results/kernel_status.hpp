#pragma once
// A kernel's status values (kernels[].status, docs/results-schema.md), as written: case-sensitive,
// as every reader compares them. ok: measured. failed (verification included), oom, unsupported:
// tried and did not run correctly. skipped, interrupted: not tried to the end (a filter, a lost
// device, Ctrl-C), which says nothing of the code.
#include <string>

namespace tb::results {

inline constexpr const char* kKernelStatuses = "ok, failed, oom, unsupported, skipped, interrupted";

inline bool is_kernel_status(const std::string& s) {
  return s == "ok" || s == "failed" || s == "oom" || s == "unsupported" || s == "skipped" || s == "interrupted";
}

// Tried and did not run correctly, as opposed to not measured.
inline bool kernel_failed(const std::string& s) { return s == "failed" || s == "oom" || s == "unsupported"; }

}  // namespace tb::results
