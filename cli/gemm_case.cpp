#include "cli/gemm_case.hpp"

#include "cli/command_registry.hpp"
#include "cli/unknown_flag.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "harness/common/errors.hpp"
#include "harness/runner/gbench_runner.hpp"
#include "harness/runner/machine_info.hpp"
#include "kernels/cpu/gemm_kernel.hpp"

namespace tb::cli {

DType resolve_gemm_dtype(const std::string& text, const kernels::DeviceInfo& device, std::string* note) {
  if (!text.empty()) {
    const DType d = parse_dtype(text, "--dtype");
    // Asked for explicitly, a dtype the CPU backend cannot run is the user's choice: refused
    // now (exit 2), not recorded as "unsupported" after the other kernels were measured.
    const auto supported = kernels::cpu::supported_gemm_dtypes();
    if (device.backend == "cpu" && std::find(supported.begin(), supported.end(), d) == supported.end())
      throw UsageError(fmt::format("--dtype {}: the CPU backend's GEMMs run {}{}; accepted values here: {}", text,
                                   kernels::cpu::supported_gemm_dtypes_text(),
                                   d == DType::BF16 ? " (this OpenBLAS was built without BUILD_BFLOAT16: no "
                                                      "cblas_sbgemm)"
                                      : d == DType::FP8 ? " (fp8 needs a GPU of compute capability 8.9 or newer)"
                                                        : "",
                                   kernels::cpu::supported_gemm_dtypes_text()));
    return d;
  }
  if (device.backend == "cpu" && !kernels::cpu::bf16_gemm_available()) {
    const char* text_note = "trainbench: note: this OpenBLAS has no bf16 GEMM (cblas_sbgemm); measuring fp32\n";
    if (note) *note += text_note;
    else std::fputs(text_note, stderr);
    return DType::FP32;
  }
  return DType::BF16;
}

void check_candidates_for(int candidates, const kernels::DeviceInfo& device) {
  if (candidates > 1 && device.backend == "cpu")
    throw UsageError(fmt::format("--candidates {}: it times cuBLASLt's top-k algorithms on a GPU; the CPU backend has "
                                 "one GEMM (OpenBLAS): drop the flag",
                                 candidates));
}

std::vector<std::string> gbench_args_from_extras(const CLI::App& cmd) {
  std::vector<std::string> extras = cmd.remaining();
  std::vector<std::string> gbench = runner::take_gbench_args(extras);
  // The command's own flags and Google Benchmark's are one list to the user: a typo of either is
  // answered as every command answers one ("no flag --layuot (did you mean --layout?)").
  if (!extras.empty()) throw UsageError(describe_unknown_words(cmd, extras, runner::gbench_flag_names()));
  try {
    runner::check_gbench_args(gbench);
  } catch (const UsageError& e) {
    throw UsageError(fmt::format("{}: {}", cmd.get_name(), e.what()));
  }
  return gbench;
}

bool corrupt_output_requested() {
  const char* v = std::getenv("TRAINBENCH_TEST_CORRUPT_OUTPUT");
  return v && std::string(v) == "1";
}

results::RunResults make_run_results(const std::string& command, const kernels::Backend& backend,
                                     const std::optional<SkuConfig>& sku, DType dtype,
                                     std::vector<results::KernelResult> kernels, const timing::TimingPolicy& policy) {
  results::RunResults r;
  // The process's own argv: every results file records the command line that made it.
  r.machine = runner::collect_machine_info(backend, saved_argc(), saved_argv());
  runner::record_sku(r.machine, sku, dtype);
  r.workload.command = command;
  r.workload.dtype = to_string(dtype);
  r.workload.device = r.machine.backend;
  r.workload.timing = runner::timing_info(policy, r.machine.backend);
  bool all_ok = !kernels.empty(), any_ok = false;
  for (const auto& k : kernels) {
    all_ok = all_ok && (k.status == "ok" || k.status == "skipped");
    // Ctrl-C is no failure: the samples taken before it are kept, the run is partial.
    any_ok = any_ok || k.status == "ok" || (k.status == "interrupted" && k.stats.samples > 0);
  }
  r.status = all_ok ? "complete" : any_ok ? "partial" : "failed";
  r.kernels = std::move(kernels);
  return r;
}

}  // namespace tb::cli
