#pragma once
// The op of a workload by name, for tests that check shapes and FLOPs one kernel at a time.
#include <stdexcept>
#include <string>

#include "harness/workload/workload.hpp"

namespace tb::testing {

inline const Op& find_op(const Workload& w, const std::string& name) {
  for (const auto& op : w.ops)
    if (op.name == name) return op;
  throw std::runtime_error("no op " + name + " in the workload of " + w.model.name);
}

}  // namespace tb::testing
