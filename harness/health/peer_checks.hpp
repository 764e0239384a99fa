#pragma once
// Judges the GPUs of one server against each other (`trainbench health --all-gpus`).
#include <vector>

#include "harness/health/health_check.hpp"

namespace tb::health {

// The GPUs of one server, each with the same battery's best figures: a card well below the
// median of the OTHER cards is suspect, whatever the datasheet says (no SKU config needed).
struct PeerFigures {
  int index = 0;
  double gemm_tflops = 0;  // 0 when not measured
  double stream_gbps = 0;
};
// One "peers" check per GPU, in input order; info for a lone GPU.
std::vector<Check> peer_checks(const std::vector<PeerFigures>& gpus, double tolerance = 0.05);

}  // namespace tb::health
