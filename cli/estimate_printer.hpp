#pragma once
#include <ostream>

#include "harness/estimate/estimate.hpp"

namespace tb::cli {

// The human-readable estimate: each figure says which FLOPs convention it uses.
void print_estimate(std::ostream& out, const EstimateRequest& request, const EstimateResult& result);

}  // namespace tb::cli
