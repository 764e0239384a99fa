#pragma once
// What `trainbench gemm` and `trainbench sweep` share: building a GEMM op from flags, the
// dtype default per device, Google Benchmark flags passed through, and the results file.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "harness/hardware/sku_config.hpp"
#include "harness/results/run_results.hpp"
#include "harness/runner/measure_op.hpp"
#include "harness/workload/op.hpp"
#include "kernels/backend.hpp"

namespace tb::cli {

// Empty --dtype: bf16, except on a CPU whose OpenBLAS has no bf16 GEMM: fp32, saying so on stderr.
// A --dtype the CPU backend's GEMMs cannot run (fp8, fp16, tf32; bf16 without sbgemm) is a
// UsageError listing the ones it can.
// With `note`, the fp32 note is returned there instead of printed, for the caller to print once
// its other checks have passed (a usage error is then the one message).
DType resolve_gemm_dtype(const std::string& text, const kernels::DeviceInfo& device, std::string* note = nullptr);

// --candidates above 1 is cuBLASLt's: refused on the CPU rather than silently ignored.
void check_candidates_for(int candidates, const kernels::DeviceInfo& device);

// The subcommand's unparsed arguments: --benchmark_* flags are returned for Google Benchmark,
// checked (runner::check_gbench_args); anything else is a UsageError naming it with its near miss
// among the command's flags and Google Benchmark's.
std::vector<std::string> gbench_args_from_extras(const CLI::App& cmd);

// The hidden hook the tests use to plant a wrong GEMM output: TRAINBENCH_TEST_CORRUPT_OUTPUT=1.
bool corrupt_output_requested();

// A results file (schema results::kSchemaVersion) for a single-kernel command, with this machine's provenance.
// `policy`: the stopping rule it was measured under (workload.timing).
results::RunResults make_run_results(const std::string& command, const kernels::Backend& backend,
                                     const std::optional<SkuConfig>& sku, DType dtype,
                                     std::vector<results::KernelResult> kernels,
                                     const timing::TimingPolicy& policy);

}  // namespace tb::cli
