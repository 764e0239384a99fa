#pragma once
// Side-by-side and regression tables as text (terminals) or markdown (CI comments).
#include <string>

#include "harness/compare/regression.hpp"
#include "harness/compare/side_by_side.hpp"
#include "harness/compare/table.hpp"

namespace tb::compare {

// Runs are lettered A, B, C… with a legend; per kernel: median ms, TFLOP/s, % of peak and the
// speed-up of each run over A; then the step (time, tokens/s, MFU) and the extrapolation.
std::string format_side_by_side(const SideBySide& comparison, TableFormat format);

// Every compared item with its verdict, then a summary line naming what regressed and by how much.
std::string format_regressions(const RegressionReport& report, TableFormat format);

// "A", "B", … "Z", "AA"…
std::string run_letter(size_t index);

}  // namespace tb::compare
