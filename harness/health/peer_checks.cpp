#include "harness/health/peer_checks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace tb::health {

namespace {

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The median of the other GPUs' positive figures (0 when none).
double others_median(const std::vector<PeerFigures>& gpus, size_t self, double PeerFigures::*field) {
  std::vector<double> v;
  for (size_t i = 0; i < gpus.size(); ++i)
    if (i != self && gpus[i].*field > 0) v.push_back(gpus[i].*field);
  return v.empty() ? 0 : median_of(v);
}

}  // namespace

std::vector<Check> peer_checks(const std::vector<PeerFigures>& gpus, double tolerance) {
  std::vector<Check> out;
  for (size_t i = 0; i < gpus.size(); ++i) {
    Check c = make_check("peers", Status::Info, "TFLOP/s");
    c.judges_performance = true;
    c.measured = gpus[i].gemm_tflops;
    if (gpus.size() < 2) {
      c.detail = "one GPU: no peers to compare with";
      out.push_back(c);
      continue;
    }
    const double gemm_ref = others_median(gpus, i, &PeerFigures::gemm_tflops);
    const double stream_ref = others_median(gpus, i, &PeerFigures::stream_gbps);
    c.reference = gemm_ref;
    std::vector<std::string> behind;
    if (gemm_ref > 0 && gpus[i].gemm_tflops < (1 - tolerance) * gemm_ref)
      behind.push_back(fmt::format("GEMM {:.4g} TFLOP/s is {:.0f}% below", gpus[i].gemm_tflops,
                                   100 * (1 - gpus[i].gemm_tflops / gemm_ref)));
    if (stream_ref > 0 && gpus[i].stream_gbps < (1 - tolerance) * stream_ref)
      behind.push_back(fmt::format("streaming {:.4g} GB/s is {:.0f}% below", gpus[i].stream_gbps,
                                   100 * (1 - gpus[i].stream_gbps / stream_ref)));
    const std::string peers = fmt::format("the other {} GPUs' median ({:.4g} TFLOP/s, {:.4g} GB/s)", gpus.size() - 1,
                                          gemm_ref, stream_ref);
    if (behind.empty()) {
      c.status = gemm_ref > 0 ? Status::Pass : Status::Info;
      c.detail = fmt::format("GPU {} within {:.0f}% of {}", gpus[i].index, 100 * tolerance, peers);
    } else {
      c.status = Status::Suspect;
      c.detail = fmt::format("GPU {}: {} {}", gpus[i].index, fmt::join(behind, " and "), peers);
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace tb::health
