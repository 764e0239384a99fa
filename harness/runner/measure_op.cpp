// measure_op: the one place a kernel is timed. nvbench's "cold" measurement is the model
// (nvbench/detail/measure_cold.cu): warm-up, a cold sample at a time, noise-based stopping,
// clock checks, throttled samples discarded and retaken; the backend supplies the cold sample,
// timing/ the loop and the statistics.
#include "harness/runner/measure_op.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "harness/common/errors.hpp"
#include "harness/runner/clock_tracker.hpp"
#include "harness/runner/device_state.hpp"
#include "harness/runner/interrupt.hpp"
#include "harness/runner/paced_clock_reader.hpp"
#include "harness/timing/measure_loop.hpp"
#include "kernels/wait_interrupted.hpp"

namespace tb::runner {

void mark_sampling_started() {
  static const char* path = std::getenv("TRAINBENCH_TEST_SAMPLING_MARK");
  if (path && *path) std::ofstream(path).put('\n');
}

results::KernelResult describe_op(const Op& op) {
  results::KernelResult r;
  r.name = op.name;
  r.kind = to_string(op.kind);
  r.shape = op.shape_string();
  r.dtype = to_string(op.dtype);
  r.flops = op.flops;
  r.model_flops = op.model_flops;
  r.bytes = op.bytes;
  r.calls_per_step = op.calls_per_step;
  r.per_optimizer_step = op.per_optimizer_step;
  if (op.kind == OpKind::Gemm) {
    r.dims = {{"m", op.gemm.m}, {"n", op.gemm.n}, {"k", op.gemm.k}, {"batch", op.gemm.batch}};
    r.layout = to_string(op.gemm.layout);
  } else if (is_attention(op.kind)) {
    const auto& a = op.attention;
    r.dims = {{"batch", a.batch}, {"heads", a.heads}, {"kv_heads", a.kv_heads}, {"seq", a.seq}, {"head_dim", a.head_dim}};
    r.causal = a.causal;
  } else {
    r.dims = {{"rows", op.memory.rows}, {"cols", op.memory.cols}};
  }
  return r;
}

namespace {

double peak_percent(const Op& op, const results::KernelResult& r, const std::optional<SkuConfig>& sku) {
  if (!sku) return 0;
  if (is_memory_bound(op.kind))
    return sku->memory_bandwidth_tb_s > 0 ? 100.0 * r.gbps / (sku->memory_bandwidth_tb_s * 1e3) : 0;
  const double peak = sku->peak_tflops_or_zero(op.dtype);
  return peak > 0 ? 100.0 * r.tflops / peak : 0;
}

void measure(kernels::Backend& backend, kernels::Kernel& kernel, const Op& op, const MeasureOptions& o,
             const std::optional<SkuConfig>& sku, results::KernelResult& r) {
  r.algorithm = kernel.algorithm();
  if (const int64_t padded = kernel.padded_head_dim(); padded > 0) r.dims["padded_head_dim"] = padded;
  ClockTracker clocks(backend.device_info().sm_clock_mhz, o.policy.throttle_threshold);
  PacedClockReader clock_reader([&backend] { return backend.read_clocks(); });
  timing::LoopHooks hooks;
  bool sampling = false;
  bool last_throttled = false;
  hooks.sampling_started = [&] {
    sampling = true;
    mark_sampling_started();
  };
  hooks.sample_ms = [&] {
    const double ms = backend.time_sample_ms(kernel);
    // Read right after a sample, when the SM clock reflects the load: a reading before it, or
    // during warm-up after an idle stretch (the previous op's host-side verify), sees an idle
    // clock and would flag a drop that never happened under load.
    if (sampling) last_throttled = clocks.record(clock_reader.reading());
    return ms;
  };
  hooks.sample_throttled = [&] { return last_throttled; };
  hooks.recover = [&](double delay_s) {
    if (o.recover_for_testing) o.recover_for_testing(delay_s);
    else timing::sleep_for_s(delay_s, interrupted);
    clock_reader.expire();
  };
  hooks.should_abort = interrupted;
  const timing::LoopResult loop = timing::run_measure_loop(o.policy, hooks);
  r.samples_ms = loop.samples_ms;
  r.stats = loop.stats;
  r.stop_reason = loop.aborted ? "interrupted" : timing::to_string(loop.reason);
  r.clocks = clocks.summary(loop.kept, loop.throttled_discarded);
  if (r.stats.median_ms > 0) {
    r.tflops = op.flops / (r.stats.median_ms * 1e-3) / 1e12;
    r.gbps = op.bytes / (r.stats.median_ms * 1e-3) / 1e9;
    r.pct_of_peak = peak_percent(op, r, sku);
  }
  if (loop.aborted) {
    r.status = "interrupted";
    r.error = fmt::format("interrupted after {} samples", r.stats.samples);
    return;  // the user wants out: no verification
  }
  if (!o.verify) return;
  backend.synchronize();
  if (o.corrupt_output_for_testing) kernel.corrupt_output_for_testing();
  const kernels::VerifyResult v = kernel.verify();
  r.verified = v.passed;
  r.max_rel_error = v.max_rel_error;
  r.tolerance = v.tolerance;
  if (!v.passed) {
    r.status = "failed";
    r.error = fmt::format("verification FAILED: max relative error {:.3g} exceeds the {} tolerance {:.3g} over {} "
                          "checked elements{}{}",
                          v.max_rel_error, r.dtype, v.tolerance, v.elements_checked, v.detail.empty() ? "" : ": ",
                          v.detail);
  }
}

}  // namespace

results::KernelResult measure_op(kernels::Backend& backend, const Op& op, const MeasureOptions& options,
                                 const std::optional<SkuConfig>& sku) {
  timing::validate(options.policy);  // bad flags are the user's: UsageError propagates
  results::KernelResult r = describe_op(op);
  if (interrupted()) {
    r.status = "interrupted";
    r.error = "interrupted before measuring";
    return r;
  }
  if (const auto lost = device_lost()) {
    r.status = "skipped";
    r.error = fmt::format("not measured: the device became unusable earlier ({}); rerun in a new process", *lost);
    return r;
  }
  auto record_device_lost = [&](const kernels::DeviceLostError& e) {
    r.status = "failed";
    r.error = fmt::format("device lost: {}; the kernels after this one are skipped", e.what());
    mark_device_lost(fmt::format("at {} {}: {}", op.name, op.shape_string(), e.what()));
  };
  // Interrupted while a wait on the device still waited: as Ctrl-C between samples, the kernel is
  // "interrupted" and the run stops with what it has. Its work still holds the device, so the
  // device is marked lost too: the process then leaves without the CUDA teardown (cli/exit_path).
  auto record_wait_interrupted = [&](const kernels::WaitInterruptedError& e) {
    r.status = "interrupted";
    r.error = fmt::format("interrupted on the device: {}", e.what());
    mark_device_lost(fmt::format("at {} {}: {}", op.name, op.shape_string(), e.what()));
  };
  std::unique_ptr<kernels::Kernel> kernel;
  try {
    kernel = backend.prepare(op, options.prepare);
  } catch (const UsageError&) {
    throw;
  } catch (const kernels::WaitInterruptedError& e) {
    record_wait_interrupted(e);
    return r;
  } catch (const kernels::DeviceLostError& e) {
    record_device_lost(e);
    return r;
  } catch (const kernels::UnsupportedError& e) {
    r.status = "unsupported";
    r.error = e.what();
    return r;
  } catch (const kernels::OutOfMemoryError& e) {
    r.status = "oom";
    r.error = e.what();
    return r;
  } catch (const std::exception& e) {
    r.status = "failed";
    r.error = fmt::format("prepare: {}", e.what());
    return r;
  }
  try {
    measure(backend, *kernel, op, options, sku, r);
  } catch (const UsageError&) {
    throw;
  } catch (const kernels::WaitInterruptedError& e) {
    record_wait_interrupted(e);
  } catch (const kernels::DeviceLostError& e) {
    record_device_lost(e);
  } catch (const kernels::OutOfMemoryError& e) {
    r.status = "oom";
    r.error = e.what();
  } catch (const std::exception& e) {
    r.status = "failed";
    r.error = e.what();
  }
  return r;
}

}  // namespace tb::runner
