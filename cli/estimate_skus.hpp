#pragma once
// `trainbench estimate --gpu A,B,C --mfu M`: the same training estimated on several SKUs from
// their datasheets at one assumed MFU, side by side, before any of them can be measured (then
// `run` on each and `compare` the results). With --layout auto each SKU gets the fastest layout
// its own memory allows.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/estimate/estimate.hpp"
#include "harness/estimate/layout_search.hpp"

namespace tb::cli {

// `base` holds everything but the SKU (and, with `search`, the layout); `per_sku` finishes a
// request once its SKU is set (the SKU's links under --interconnect). Quotes as
// cli/sku_quotes.hpp reads them; winners by harness/estimate/ranking.hpp, as compare names them.
// Prints a table or JSON; exit status 1 when no SKU could be estimated (nothing fits, say).
void estimate_skus(const EstimateRequest& base, const std::vector<std::string>& skus,
                   const std::vector<std::string>& quotes, const std::vector<std::string>& server_quotes,
                   const std::optional<LayoutSearchRequest>& search, bool json,
                   const std::function<void(EstimateRequest&)>& per_sku);

}  // namespace tb::cli
