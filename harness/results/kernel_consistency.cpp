#include "harness/results/kernel_consistency.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "harness/common/errors.hpp"
#include "harness/results/recorded_sku.hpp"
#include "harness/workload/op.hpp"

namespace tb::results {

namespace {

bool near(double recorded, double expected) {
  return std::abs(recorded - expected) <= kRateRelTolerance * std::max(std::abs(expected), 1e-300);
}

[[noreturn]] void refuse(const std::string& origin, size_t i, const KernelResult& k, const std::string& what) {
  throw UsageError(fmt::format("{}: kernels[{}] ({}): {}; the file was edited or written wrongly", origin, i, k.name,
                               what));
}

bool compute_bound(const KernelResult& k) { return k.kind == "gemm" || k.kind.rfind("attention", 0) == 0; }

// The peak a kernel's pct_of_peak is against, as the writer chose it (runner/measure_op.cpp): the
// SKU's peak for the kernel's dtype, or its bandwidth; 0 where the file cannot say which.
class RecordedPeaks {
 public:
  explicit RecordedPeaks(const RunResults& r) : r_(r) {}

  double compute_tflops(const std::string& dtype) {
    const std::string& peak_dtype = r_.machine.peak_dtype.empty() ? r_.workload.dtype : r_.machine.peak_dtype;
    if (dtype == peak_dtype && r_.machine.peak_tflops > 0) return r_.machine.peak_tflops;
    if (!loaded_) {
      sku_ = recorded_sku(r_);
      loaded_ = true;
    }
    if (!sku_) return 0;
    for (const auto& [d, peak] : sku_->peak_tflops)
      if (to_string(d) == dtype) return peak;
    return 0;
  }
  double memory_gb_s() const { return r_.machine.peak_memory_tb_s * 1e3; }
  bool none_recorded() const {
    return r_.machine.sku.empty() && !(r_.machine.peak_tflops > 0) && !(r_.machine.peak_memory_tb_s > 0);
  }

 private:
  const RunResults& r_;
  bool loaded_ = false;
  std::optional<SkuConfig> sku_;
};

void check_gemm_flops(const std::string& origin, size_t i, const KernelResult& k) {
  if (k.kind != "gemm") return;
  const auto m = k.dims.find("m"), n = k.dims.find("n"), kk = k.dims.find("k");
  if (m == k.dims.end() || n == k.dims.end() || kk == k.dims.end()) return;
  const int64_t batch = gemm_batch(k);  // a grouped GEMM's groups, each 2·m·n·k
  GemmShape shape;
  shape.m = m->second, shape.n = n->second, shape.k = kk->second, shape.batch = batch;
  const double expected = gemm_flops(shape);
  if (!near(k.flops, expected))
    refuse(origin, i, k,
           batch == 1 ? fmt::format("flops {} is not 2 x m x n x k of its dims ({:.6g})", k.flops, expected)
                      : fmt::format("flops {} is not 2 x batch x m x n x k of its dims ({} x {:.6g} = {:.6g})",
                                    k.flops, batch, expected / static_cast<double>(batch), expected));
}

}  // namespace

void require_consistent_kernel_rates(const RunResults& r, const std::string& origin) {
  RecordedPeaks peaks(r);
  const bool comm = r.workload.command == "comm";
  for (size_t i = 0; i < r.kernels.size(); ++i) {
    const KernelResult& k = r.kernels[i];
    check_gemm_flops(origin, i, k);
    const double median_ms = k.stats.median_ms;
    if (!(median_ms > 0)) continue;  // never measured: its rates are 0, and nothing derives them
    const double seconds = median_ms * 1e-3;
    const double tflops = k.flops / seconds / 1e12;
    const double gbps = k.bytes / seconds / 1e9;
    if (!near(k.tflops, tflops))
      refuse(origin, i, k,
             fmt::format("tflops {} is not flops / median_ms ({:.6g} / {:.6g} ms = {:.6g})", k.tflops, k.flops,
                         median_ms, tflops));
    const bool collective = comm || k.algbw_gb_s.has_value();
    const bool memory_bound = !compute_bound(k) && !collective;
    if ((k.gbps > 0 || memory_bound || collective) && !near(k.gbps, gbps))
      refuse(origin, i, k,
             fmt::format("gbps {} is not bytes / median_ms ({:.6g} / {:.6g} ms = {:.6g})", k.gbps, k.bytes, median_ms,
                         gbps));
    if (k.algbw_gb_s && !near(*k.algbw_gb_s, gbps))
      refuse(origin, i, k,
             fmt::format("algbw_gb_s {} is not bytes / median_ms ({:.6g})", *k.algbw_gb_s, gbps));
    if (collective) continue;
    if (peaks.none_recorded()) {
      if (k.pct_of_peak > 0)
        refuse(origin, i, k,
               fmt::format("pct_of_peak {} but the file records no peak (machine.sku \"\", peak_tflops and "
                           "peak_memory_tb_s 0)",
                           k.pct_of_peak));
      continue;
    }
    const double peak = memory_bound ? peaks.memory_gb_s() : peaks.compute_tflops(k.dtype);
    if (!(peak > 0)) {
      // The writer took the bandwidth it recorded: none recorded, no percentage. A compute peak of
      // another dtype may be in a config this machine lacks: nothing to check against then.
      if (memory_bound && k.pct_of_peak > 0)
        refuse(origin, i, k, fmt::format("pct_of_peak {} but machine.peak_memory_tb_s is 0", k.pct_of_peak));
      continue;
    }
    const double expected = 100.0 * (memory_bound ? gbps : tflops) / peak;
    if (!near(k.pct_of_peak, expected))
      refuse(origin, i, k,
             memory_bound
                 ? fmt::format("pct_of_peak {} is not gbps over machine.peak_memory_tb_s ({:.6g} / {:.6g} GB/s = "
                               "{:.6g}%)",
                               k.pct_of_peak, gbps, peak, expected)
                 : fmt::format("pct_of_peak {} is not tflops over the {} peak of {} ({:.6g} / {:.6g} TFLOP/s = "
                               "{:.6g}%)",
                               k.pct_of_peak, k.dtype, r.machine.sku.empty() ? "the machine" : r.machine.sku, tflops,
                               peak, expected));
  }
}

}  // namespace tb::results
