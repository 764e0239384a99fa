#pragma once
#include <nlohmann/json.hpp>

#include "harness/estimate/estimate.hpp"
#include "harness/estimate/layout_search.hpp"

namespace tb {

// One object; keys carry units. Optional parts appear only when their inputs were given.
nlohmann::json to_json(const EstimateResult& result);

// Its parts (docs/estimate-json.md's `memory`, `scaling` and `interruptions` tables), which
// `compare --json` writes for each run's extrapolation too: one writer, one shape.
nlohmann::json memory_json(const MemoryEstimate& memory);
nlohmann::json scaling_json(const comm::ScalingEstimate& scaling);
// Of a result with interruptions modelled (`goodput` set).
nlohmann::json interruptions_json(const EstimateResult& result);
// `power_basis`: what the energy's power per GPU is.
std::string power_basis(bool measured);

// "--tp 8 --pp 8 --dp 16 --micro-batches 96 --micro-batch-size 1 --zero 1": what reproduces it.
std::string layout_flags(const EstimateRequest& layout);
// "tp 8 x pp 8 x dp 16, m 96": the same, short, for tables.
std::string layout_summary(const EstimateRequest& layout);

// The search: objective, what was tried, and the ranked layouts with their flags, time and memory.
nlohmann::json to_json(const LayoutSearchResult& search);

}  // namespace tb
