#pragma once
// What an assumed --mfu or --tflops means on one SKU, said on stderr before estimate answers: the
// peak an fp8 MFU is against (estimate takes it against the fp8 peak, `run --dtype fp8` reports
// it against the bf16 one: a figure copied from run is then off 2x) and a rate above what the
// SKU's best GEMMs are measured to sustain ([sustained] in its config), which no training step
// reaches. Warnings, not refusals: the answer is still printed, exit 0.
#include <optional>
#include <string>

#include "harness/hardware/sku_config.hpp"

namespace tb::cli {

// "" or lines each starting "trainbench: note: " (fp8 --mfu: its peak and the bf16-peak
// equivalent) or "trainbench: warning: " (the rate above [sustained] for `dtype`), each ending in
// a newline. `mfu` and `tflops` as given on the command line (at most one is set).
std::string assumed_rate_notes(const SkuConfig& sku, DType dtype, std::optional<double> mfu,
                               std::optional<double> tflops);

}  // namespace tb::cli
