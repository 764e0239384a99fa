// Writes SYNTHETIC results files for the headless-browser report test: three H100/H200/A100-like
// runs of GPT-3 175B (tp 8) timed by a roofline model, a partial one, a health file, and seven
// good and seven slow nights for the gate's page — test data, never a measurement.
#include <cstdio>
#include <string>

#include "harness/results/results_io.hpp"
#include "tests/report/synthetic_results.hpp"

int main(int argc, char** argv) {
  if (argc != 2 || argv[1][0] == '-') {  // "--help" is not a directory to fill
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  try {
    tb::testing::SyntheticRunSpec h100, h200, a100;
    h200.sku = "h200";
    h200.device_name = "NVIDIA H200 (synthetic test data)";
    h200.bandwidth_efficiency = 0.85;
    h200.seed = 2;
    a100.sku = "a100-sxm-80g";
    // Markup in a name must show as text, never run: the browser test would see the error.
    a100.device_name = "NVIDIA A100-SXM4-80GB </script><b>&</b> (synthetic test data)";
    a100.compute_efficiency = 0.70;
    a100.seed = 3;
    a100.spiky_kernel = "qkv.fwd";  // two OS hiccups: the Kernels section says so
    a100.spikes = 2;
    // With the optimizer step: the Kernels table shows Adam's share of a micro-batch's step.
    h100.micro_batches = h200.micro_batches = a100.micro_batches = 96;
    tb::results::write_results_file(dir + "/h100-synthetic.json", tb::testing::synthetic_run(h100));
    tb::results::write_results_file(dir + "/h200-synthetic.json", tb::testing::synthetic_run(h200));
    tb::results::write_results_file(dir + "/a100-synthetic.json", tb::testing::synthetic_run(a100));
    // An interrupted run (its last kernel interrupted, the one before it skipped: a filter), and a
    // health file, suspect, with a kernel stopped short of its noise target: the page's PARTIAL
    // banner, Health section and not-converged note.
    auto partial = tb::testing::synthetic_run(h100);
    const size_t n = partial.kernels.size();
    tb::testing::mark_not_measured(partial, n - 2, "skipped", "");
    tb::testing::mark_not_measured(partial, n - 1, "interrupted", "");
    partial.kernels[0].stop_reason = "max_samples";
    tb::results::write_results_file(dir + "/partial-synthetic.json", partial);
    auto health = tb::testing::synthetic_run(h200);
    health.workload.command = "health";
    health.health = {{"verdict", "suspect"},
                     {"checks", nlohmann::json::array({{{"id", "gemm"},
                                                        {"status", "suspect"},
                                                        {"measured", 512.0},
                                                        {"reference", 700.0},
                                                        {"unit", "TFLOP/s"},
                                                        {"detail", "below the SKU's sustained GEMM rate"}}})}};
    tb::results::write_results_file(dir + "/health-synthetic.json", health);
    // The gate's page: seven runs a side (what Holm over a run's items needs), qkv.fwd 20% slower
    // in every night of the second seven.
    for (uint32_t i = 0; i < 7; ++i) {
      tb::testing::SyntheticRunSpec good, slow;
      good.seed = 1 + i;
      slow.seed = 101 + i;
      slow.slow_kernel = "qkv.fwd";
      slow.slowdown = 0.20;
      tb::results::write_results_file(dir + "/good-" + std::to_string(i) + ".json", tb::testing::synthetic_run(good));
      tb::results::write_results_file(dir + "/slow-" + std::to_string(i) + ".json", tb::testing::synthetic_run(slow));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_report_fixture: %s\n", e.what());
    return 1;
  }
  return 0;
}
