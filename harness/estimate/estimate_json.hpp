#pragma once
#include <nlohmann/json.hpp>

#include "harness/estimate/estimate.hpp"

namespace tb {

// One object; keys carry units. Optional parts appear only when their inputs were given.
nlohmann::json to_json(const EstimateResult& result);

}  // namespace tb
