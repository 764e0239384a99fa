#pragma once
// `models --json` and `skus --json`: one config each, as docs/catalog-json.md lists its keys (units
// in the names: _tflops, _gb, _gib, _tb_s, _w, _gb_s; FLOP counts as `flops`, compute as `pf_days`).
// The figures are those the tables print and estimate uses: the same functions, never a copy.
#include <nlohmann/json.hpp>

#include "harness/hardware/sku_config.hpp"
#include "harness/model/model_config.hpp"

namespace tb::cli {

// A model config: its shape, computed parameters, PaLM's model FLOPs per token at its context
// (harness/model/flop_formulas.hpp, the count MFU divides by) and, where it has a token count,
// the training compute as estimate's `training_flops`/`pf_days` (6·N·D) and in PaLM's count.
nlohmann::json model_listing_json(const ModelConfig& model);

// A SKU config: dense peaks, nominal and usable memory, bandwidth, power, links, prices.
nlohmann::json sku_listing_json(const SkuConfig& sku);

}  // namespace tb::cli
