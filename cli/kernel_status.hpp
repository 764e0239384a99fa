#pragma once
// What a single-kernel command (gemm, attention) does with a measurement that did not succeed:
// exit 1, loudly, for a wrong result, an unsupported dtype or an interruption; exit 2 for a
// shape that cannot fit (the shape is the user's own flags).
#include <string>

#include "harness/results/run_results.hpp"

namespace tb::cli {

// `what` names the kernel ("gemm"); `size_flags` the flags that set its size ("-m/-n/-k").
void fail_on_status(const results::KernelResult& result, const std::string& what, const std::string& size_flags);

}  // namespace tb::cli
