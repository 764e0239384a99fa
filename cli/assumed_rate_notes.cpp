#include "cli/assumed_rate_notes.hpp"

#include <fmt/format.h>

namespace tb::cli {

std::string assumed_rate_notes(const SkuConfig& sku, DType dtype, std::optional<double> mfu,
                               std::optional<double> tflops) {
  std::string notes;
  const double peak = sku.peak_tflops_or_zero(dtype);
  const double bf16 = sku.peak_tflops_or_zero(DType::BF16);
  if (mfu && dtype == DType::FP8 && peak > 0 && bf16 > 0)
    notes += fmt::format("trainbench: note: --mfu {:g} with --dtype fp8 is against {}'s fp8 peak ({:g} TFLOP/s): "
                         "{:.0f} TFLOP/s, MFU {:.4g} against its bf16 peak ({:g} TFLOP/s), the peak `run --dtype fp8` "
                         "reports its MFU against (such an MFU goes in here x {:g}/{:g})\n",
                         *mfu, sku.name, peak, *mfu * peak, *mfu * peak / bf16, bf16, bf16, peak);
  const auto sustained = sku.sustained_gemm_tflops.find(dtype);
  if (sustained == sku.sustained_gemm_tflops.end() || !(sustained->second > 0)) return notes;
  // --mfu counts the model's FLOPs, the least the GPU runs: recomputation only adds to them.
  const double rate = mfu ? *mfu * peak : tflops.value_or(0);
  if (!(rate > sustained->second)) return notes;
  const std::string given = mfu ? fmt::format("--mfu {:g} of {}'s {} peak ({:g} TFLOP/s) is {:.0f} TFLOP/s", *mfu,
                                              sku.name, to_string(dtype), peak, rate)
                                : fmt::format("--tflops {:g}", rate);
  notes += fmt::format("trainbench: warning: {}, above the {:g} TFLOP/s {}'s best {} GEMMs are measured to sustain "
                       "(its config's [sustained]): no training step runs faster than its best GEMM\n",
                       given, sustained->second, sku.name, to_string(dtype));
  return notes;
}

}  // namespace tb::cli
