#pragma once
// `trainbench comm` measures each size out of place and then, where the backend runs it in place
// with a checked result, in place (nccl-tests' in-place columns). The in-place measurement is an
// entry of kernels[] of its own, right after its out-of-place one: `dims.in_place` 1 and
// ", in place" after its shape, so that every reader checks, keys and gates it as any kernel.
#include "harness/results/run_results.hpp"

namespace tb::comm {

inline bool is_in_place(const results::KernelResult& k) {
  const auto it = k.dims.find("in_place");
  return it != k.dims.end() && it->second != 0;
}

}  // namespace tb::comm
