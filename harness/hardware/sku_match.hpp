#pragma once
// Which SKU config describes a GPU, from the name CUDA gives it. Variants of one chip differ in
// what this program judges by (the H200 NVL runs at 600 W with ~835 dense bf16 TFLOP/s, the H200
// SXM at 700 W with 989; the RTX 4090 D has fewer SMs, the RTX 4090 Laptop GPU is another chip), and
// their names are the base name with words after it: "NVIDIA H200 NVL", "NVIDIA GeForce RTX 4090 D",
// "NVIDIA H100 80GB HBM3 MIG 1g.10gb". So a `[match] device_names` entry must END the device name
// and begin at a word boundary: "H200" matches "NVIDIA H200", not "NVIDIA H200 NVL" nor
// "NVIDIA GH200 480GB". A trailing '$' (older configs) is accepted and changes nothing.
#include <optional>
#include <string>
#include <vector>

#include "harness/hardware/sku_config.hpp"

namespace tb {

// Whether `pattern` ends `device_name` at a word boundary (see above).
bool device_name_matches(const std::string& device_name, const std::string& pattern);

// The SKU one of whose device_names matches, if any; where several do, the one whose memory size
// is nearest `memory_gb`.
std::optional<SkuConfig> match_sku(const std::string& device_name, double memory_gb);

// Where no SKU matches: one note for stderr saying so, naming the configs whose chip the name
// shares (its first word with a digit, "H200" of "H200 NVL": a variant they do not describe), and
// what follows: no datasheet peak, so no % of peak, MFU or health verdict from one, until --sku
// names a config. Empty where a SKU matches.
std::string unmatched_sku_note(const std::string& device_name, double memory_gb);

// The chip word of a name or pattern: its first token (split at spaces and '-') with a digit in it,
// "" if none ("NVIDIA GeForce RTX 4090 D" -> "4090", "A100-SXM4-80GB" -> "A100").
std::string chip_word(const std::string& name);

}  // namespace tb
