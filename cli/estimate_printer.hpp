#pragma once
#include <ostream>

#include "harness/estimate/estimate.hpp"
#include "harness/estimate/layout_search.hpp"

namespace tb::cli {

// The human-readable estimate: each figure says which FLOPs convention it uses.
void print_estimate(std::ostream& out, const EstimateRequest& request, const EstimateResult& result);

// The layouts searched, the best few in a table, each with the flags that reproduce it.
// `capacity`: the SKU's memory as the output names it (SkuConfig::capacity_text).
void print_layout_search(std::ostream& out, const LayoutSearchResult& search, const std::string& capacity);

}  // namespace tb::cli
