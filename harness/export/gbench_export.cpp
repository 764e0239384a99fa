#include "harness/export/gbench_export.hpp"

#include <fmt/format.h>

#include <thread>

#include "harness/common/errors.hpp"

namespace tb::exporting {

using nlohmann::json;

namespace {

std::string sanitize(std::string s) {
  for (char& c : s)
    if (c == ' ' || c == '\t' || c == '\n') c = '_';
  return s;
}

std::string prefix(const results::RunResults& r) {
  return sanitize(r.workload.model.empty() ? r.workload.command : r.workload.model);
}

json entry(const std::string& name, int family, int64_t iterations, double time_ms) {
  return {{"name", name},
          {"family_index", family},
          {"per_family_instance_index", 0},
          {"run_name", name},
          {"run_type", "iteration"},
          {"repetitions", 1},
          {"repetition_index", 0},
          {"threads", 1},
          {"iterations", iterations},
          {"real_time", time_ms},
          {"cpu_time", time_ms},
          {"time_unit", "ms"}};
}

}  // namespace

std::string gbench_name(const results::RunResults& r, const results::KernelResult& k) {
  return fmt::format("{}/{}/{}/{}", prefix(r), sanitize(k.name), sanitize(k.shape), sanitize(k.dtype));
}

json to_gbench_json(const results::RunResults& r, const std::string& origin, std::vector<std::string>* left_out) {
  if (r.status == "failed")
    throw UsageError(fmt::format("{}: the run failed; there are no timings to export", origin));
  const auto& m = r.machine;
  // google/benchmark's context block; fields it cannot know here are given neutral values.
  json context = {{"date", m.utc_time},
                  {"host_name", m.host},
                  {"executable", "trainbench " + r.workload.command},
                  {"num_cpus", static_cast<int>(std::thread::hardware_concurrency())},
                  {"mhz_per_cpu", 0},
                  {"cpu_scaling_enabled", false},
                  {"caches", json::array()},
                  {"load_avg", json::array()},
                  {"library_build_type", "release"},
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
  json benchmarks = json::array();
  int family = 0;
  bool any_ok = false;
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
    json e = entry(gbench_name(r, k), family++, k.stats.samples, k.stats.median_ms);
    e["TFLOPS"] = k.tflops;
    e["GBps"] = k.gbps;
    e["pct_of_peak"] = k.pct_of_peak;
    e["rel_noise"] = k.stats.rel_noise;
    e["calls_per_step"] = k.calls_per_step;
    benchmarks.push_back(std::move(e));
  }
  if (!any_ok)
    throw UsageError(fmt::format("{}: no kernel with status ok; there are no timings to export", origin));
  // An fp8 step is another series; other dtypes keep the name their history has.
  const std::string step_name = r.workload.dtype == "fp8" ? fmt::format("{}/step/fp8", prefix(r))
                                                          : fmt::format("{}/step", prefix(r));
  if (r.step && r.status == "complete" && r.step->complete) {
    json e = entry(step_name, family++, 1, r.step->step_ms);
    e["tokens_per_s"] = r.step->tokens_per_s;
    e["MFU"] = r.step->mfu;
    e["TFLOPS"] = r.step->sustained_tflops;
    benchmarks.push_back(std::move(e));
  } else if (r.workload.command == "run" && left_out) {
    left_out->push_back(fmt::format("{}: the run is {}: a step missing kernels is no step time", step_name, r.status));
  }
  return {{"context", context}, {"benchmarks", benchmarks}};
}

}  // namespace tb::exporting
