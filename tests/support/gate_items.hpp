#pragma once
// The gate's verdict on one item, by name, for tests that read a RegressionReport.
#include <stdexcept>
#include <string>

#include "harness/compare/regression.hpp"

namespace tb::testing {

inline const compare::ItemVerdict& item(const compare::RegressionReport& r, const std::string& name) {
  for (const auto& i : r.items)
    if (i.name == name) return i;
  throw std::runtime_error("no item " + name);
}

}  // namespace tb::testing
