#include "harness/export/gbench_export.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "harness/common/errors.hpp"
#include "harness/export/gbench_names.hpp"
#include "harness/results/step_consistency.hpp"

namespace tb::exporting {

using nlohmann::json;

namespace {

// A model or dtype as one name segment: whitespace to '_', a '/' to ':'.
std::string sanitize(std::string s) {
  for (char& c : s) {
    if (c == ' ' || c == '\t' || c == '\n') c = '_';
    if (c == '/') c = ':';
  }
  return s;
}

std::string prefix(const results::RunResults& r) {
  return sanitize(r.workload.model.empty() ? r.workload.command : r.workload.model);
}

// real_time and cpu_time both the median: the results file records no CPU time (Google
// Benchmark's schema wants one; the live pass-through's is the host's CPU time over the whole
// measurement, warm-up and verification included, no figure of the kernel either).
json entry(const std::string& name, int family, int64_t iterations, double time_ms, int repetitions = 1,
           int repetition_index = 0) {
  return {{"name", name},
          {"family_index", family},
          {"per_family_instance_index", 0},
          {"run_name", name},
          {"run_type", "iteration"},
          {"repetitions", repetitions},
          {"repetition_index", repetition_index},
          {"threads", 1},
          {"iterations", iterations},
          {"real_time", time_ms},
          {"cpu_time", time_ms},
          {"time_unit", "ms"}};
}

}  // namespace

std::string gbench_name(const results::RunResults& r, const results::KernelResult& k) {
  const std::string name = gbench_base_name(k.name, k.shape, k.dtype) + kGbenchRunSuffix;
  return r.workload.model.empty() ? name : sanitize(r.workload.model) + "/" + name;
}

std::optional<std::string> library_build_type(const std::string& cmake_build_type) {
  // Google Benchmark's word is "debug" without NDEBUG, else "release": CMake's Debug and an empty
  // build type (no flags: asserts on) are the former, its optimised types the latter.
  if (cmake_build_type == "Debug" || cmake_build_type == "None") return "debug";
  if (cmake_build_type == "Release" || cmake_build_type == "RelWithDebInfo" || cmake_build_type == "MinSizeRel")
    return "release";
  return std::nullopt;
}

json to_gbench_json(const results::RunResults& r, const std::string& origin, std::vector<std::string>* left_out) {
  if (r.status == "failed")
    throw UsageError(fmt::format("{}: the run failed; there are no timings to export", origin));
  // The checks every reader runs: an edited step or median would otherwise reach a dashboard.
  results::require_consistent_results(r, origin);
  const auto& m = r.machine;
  // google/benchmark's context block, from the measuring machine as the file recorded it (not this
  // one's, which only exports); what it did not record is left out, as Google Benchmark leaves
  // out a CPU scaling it cannot read, rather than given a value that asserts something.
  json context = {{"date", m.utc_time},
                  {"host_name", m.host},
                  {"executable", "trainbench " + r.workload.command},
                  {"num_cpus", m.host_cpus > 0 ? m.host_cpus : 0},
                  {"mhz_per_cpu", m.backend == "cpu" ? static_cast<int>(m.sm_clock_mhz) : 0},
                  {"caches", json::array()},
                  {"load_avg", m.load_avg_1m ? json::array({*m.load_avg_1m}) : json::array()},
                  // trainbench's own context, for humans reading the file.
                  {"trainbench_version", m.trainbench_version},
                  {"device_name", m.device_name},
                  {"backend", m.backend},
                  {"sku", m.sku},
                  {"driver_version", m.driver_version},
                  {"git_commit", m.git_commit},
                  {"model", r.workload.model},
                  {"dtype", r.workload.dtype},
                  {"status", r.status}};
  if (m.cpu_scaling_enabled) context["cpu_scaling_enabled"] = *m.cpu_scaling_enabled;
  if (const auto type = library_build_type(m.build_type)) context["library_build_type"] = *type;
  if (!m.build_type.empty()) context["trainbench_build_type"] = m.build_type;
  json benchmarks = json::array();
  int family = 0;
  bool any_ok = false;
  // --benchmark_repetitions wrote one entry per repetition: one family, as Google Benchmark does.
  std::map<std::string, int> repetitions, seen;
  std::map<std::string, int> family_of;
  for (const auto& k : r.kernels)
    if (k.status == "ok") ++repetitions[gbench_name(r, k)];
  for (const auto& k : r.kernels) {
    if (k.status != "ok") {
      // Not chosen by --benchmark_filter is what the user asked for, not a failure.
      if (left_out && k.status == "skipped" && k.error.find("--benchmark_filter") != std::string::npos) continue;
      if (left_out)
        left_out->push_back(fmt::format("{} {} {}: {}{}{}", k.name, k.shape, k.dtype, k.status,
                                        k.error.empty() ? "" : ": ", k.error));
      continue;
    }
    any_ok = true;
    const std::string name = gbench_name(r, k);
    const auto [it, first] = family_of.emplace(name, family);
    if (first) ++family;
    // One iteration, as the live pass-through registers each kernel (its name says
    // "iterations:1"); the samples behind the median are a counter, as there.
    json e = entry(name, it->second, 1, k.stats.median_ms, repetitions[name], seen[name]++);
    e["label"] = gbench_label(k.shape, k.dtype, k.verified);
    // Only the rates a kernel has: a dashboard plots a 0 written for a collective's TFLOP/s as a
    // measurement.
    if (k.flops > 0) e["TFLOPS"] = k.tflops;
    if (k.gbps > 0) e["GBps"] = k.gbps;
    if (k.algbw_gb_s) e["algbw_GBps"] = *k.algbw_gb_s;
    if (k.busbw_gb_s) e["busbw_GBps"] = *k.busbw_gb_s;
    if (k.pct_of_peak > 0) e["pct_of_peak"] = k.pct_of_peak;
    if (const auto noise = timing::known_rel_noise(k.stats)) {  // one sample: unknown
      e["rel_noise"] = *noise;
      e["outliers"] = k.stats.outliers;  // the robust rel_noise does not show them
    }
    e["samples"] = k.stats.samples;
    e["median_ms"] = k.stats.median_ms;
    // 0 marks numbers no reference checked (--no-verify): a dashboard can leave them out.
    e["verified"] = k.verified ? 1 : 0;
    e["calls_per_step"] = k.calls_per_step;
    // Once per optimizer step: its calls in the step of one micro-batch, so that Σ step_calls x
    // real_time over a run's entries is its step.
    if (k.per_optimizer_step) e["step_calls"] = results::step_calls(k, r.workload);
    benchmarks.push_back(std::move(e));
  }
  if (!any_ok)
    throw UsageError(fmt::format("{}: no kernel with status ok; there are no timings to export", origin));
  // One series per configuration: a step at another tp, micro-batch, sequence or dtype is another
  // step, not a jump in this one; so is one charging its once-per-optimizer-step kernels over other
  // micro-batches or data-parallel shards (M, dp; named only where the run has such kernels, so a
  // file from before them keeps its series).
  const std::string optimizer =
      results::has_per_optimizer_step_kernels(r) ? fmt::format("/M{}/dp{}", r.workload.micro_batches, r.workload.data_parallel) : "";
  const std::string step_name =
      fmt::format("{}/step/tp{}/mb{}/seq{}{}/{}", prefix(r), r.workload.tensor_parallel, r.workload.micro_batch,
                  r.workload.seq_len, optimizer, sanitize(r.workload.dtype));
  if (r.step && r.status == "complete" && r.step->complete) {
    json e = entry(step_name, family++, 1, r.step->step_ms);
    e["tokens_per_s"] = r.step->tokens_per_s;
    e["MFU"] = r.step->mfu;
    e["TFLOPS"] = r.step->sustained_tflops;
    e["verified"] = std::all_of(r.kernels.begin(), r.kernels.end(), [](const auto& k) { return k.verified; }) ? 1 : 0;
    benchmarks.push_back(std::move(e));
  } else if (r.workload.command == "run" && left_out) {
    left_out->push_back(fmt::format("{}: the run is {}: a step missing kernels is no step time", step_name, r.status));
  }
  return {{"context", context}, {"benchmarks", benchmarks}};
}

}  // namespace tb::exporting
