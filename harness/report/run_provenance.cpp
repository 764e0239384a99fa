#include "harness/report/run_provenance.hpp"

#include <algorithm>

namespace tb::report {

using nlohmann::json;

json machine_json(const results::MachineInfo& m) {
  return {{"utc_time", m.utc_time},
          {"git_commit", m.git_commit},
          {"trainbench_version", m.trainbench_version},
          {"build_type", m.build_type},
          {"host", m.host},
          {"cpu", m.cpu},
          {"os", m.os},
          {"backend", m.backend},
          {"blas_version", m.blas_version},
          {"driver_version", m.driver_version},
          {"cuda_runtime_version", m.cuda_runtime_version},
          {"cublas_version", m.cublas_version},
          {"nccl_version", m.nccl_version},
          {"load_avg_1m", m.load_avg_1m ? json(*m.load_avg_1m) : json(nullptr)},
          {"host_cpus", m.host_cpus},
          // Where % of peak and MFU's denominator came from (a CPU's may be a cached best), and
          // this run's own clock and bandwidth beside it.
          {"peak_source", m.peak_source},
          {"measured_clock_mhz", m.measured_clock_mhz ? json(*m.measured_clock_mhz) : json(nullptr)},
          {"measured_memory_tb_s", m.measured_memory_tb_s ? json(*m.measured_memory_tb_s) : json(nullptr)},
          {"command_line", m.command_line}};
}

json unconverged_json(const compare::RunColumn& run) {
  json out = json::array();
  for (const auto& k : run.unconverged) {
    const auto noise = timing::known_rel_noise(k.stats);
    out.push_back({{"name", k.name},
                   {"shape", k.shape},
                   {"rel_noise", noise ? json(*noise) : json(nullptr)},
                   {"samples", k.stats.samples},
                   {"stop_reason", k.stop_reason}});
  }
  return out;
}

json partial_json(const compare::RunColumn& run) {
  if (!run.partial) return nullptr;
  json not_measured = json::array();
  for (const auto& k : run.not_measured)
    not_measured.push_back({{"name", k.name}, {"shape", k.shape}, {"status", k.status}, {"error", k.error}});
  // Ctrl-C marks the kernel it stopped in "interrupted" and those after it "skipped".
  const bool interrupted = std::any_of(run.not_measured.begin(), run.not_measured.end(),
                                       [](const results::KernelResult& k) { return k.status == "interrupted"; });
  return {{"kernels_measured", run.kernels_total - run.not_measured.size()},
          {"kernels_total", run.kernels_total},
          {"interrupted", interrupted},
          {"not_measured", not_measured}};
}

namespace {

json string_or_null(const json& o, const char* key) {
  return o.contains(key) && o[key].is_string() ? o[key] : json(nullptr);
}
json number_or_null(const json& o, const char* key) {
  return o.contains(key) && o[key].is_number() ? o[key] : json(nullptr);
}

}  // namespace

json health_json(const json& h) {
  if (!h.is_object()) return nullptr;
  json checks = json::array();
  if (h.contains("checks") && h["checks"].is_array())
    for (const auto& c : h["checks"]) {
      if (!c.is_object()) continue;
      checks.push_back({{"id", string_or_null(c, "id")},
                        {"status", string_or_null(c, "status")},
                        {"measured", number_or_null(c, "measured")},
                        {"reference", number_or_null(c, "reference")},
                        {"unit", string_or_null(c, "unit")},
                        {"detail", string_or_null(c, "detail")}});
    }
  return {{"verdict", string_or_null(h, "verdict")},
          {"verdict_of_measured", string_or_null(h, "verdict_of_measured")},
          {"checks", checks}};
}

}  // namespace tb::report
