#include "harness/results/results_io.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/common/errors.hpp"
#include "harness/results/field_reader.hpp"
#include "harness/results/flop_convention.hpp"
#include "harness/results/kernel_status.hpp"
#include "harness/results/output_kind.hpp"

namespace tb::results {

using nlohmann::json;

namespace {

constexpr double kMinMedianMs = 1e-6;  // 1 ns
constexpr double kMinStepMs = 1e-3;    // 1 µs

json stats_json(const timing::SampleStats& s) {
  return {{"samples", s.samples},   {"median_ms", s.median_ms}, {"mean_ms", s.mean_ms},
          {"min_ms", s.min_ms},     {"max_ms", s.max_ms},       {"p10_ms", s.p10_ms},
          {"p90_ms", s.p90_ms},     {"stddev_ms", s.stddev_ms}, {"rel_stddev", s.rel_stddev},
          {"mad_ms", s.mad_ms},     {"outliers", s.outliers},   {"rel_noise", s.rel_noise}};
}

timing::SampleStats stats_from(const FieldReader& r) {
  timing::SampleStats s;
  s.samples = r.get_count("samples");
  s.median_ms = r.get_nonneg("median_ms");
  s.mean_ms = r.get_nonneg_or("mean_ms", 0);
  s.min_ms = r.get_nonneg_or("min_ms", 0);
  s.max_ms = r.get_nonneg_or("max_ms", 0);
  s.p10_ms = r.get_nonneg_or("p10_ms", 0);
  s.p90_ms = r.get_nonneg_or("p90_ms", 0);
  s.stddev_ms = r.get_nonneg_or("stddev_ms", 0);
  s.rel_stddev = r.get_nonneg_or("rel_stddev", 0);
  // mad_ms and outliers came with the robust rel_noise: older files lack them (their rel_noise
  // is from σ), and read as 0, not recorded.
  s.mad_ms = r.get_nonneg_or("mad_ms", 0);
  s.outliers = r.has("outliers") ? r.get_count("outliers") : 0;
  if (s.outliers > s.samples)
    r.fail("outliers", fmt::format("is {} but only {} samples were taken", s.outliers, s.samples));
  s.rel_noise = r.get_nonneg("rel_noise");
  return s;
}

}  // namespace

json to_json(const RunResults& r) {
  const auto& m = r.machine;
  json machine = {{"backend", m.backend},
                  {"device_name", m.device_name},
                  {"device_count", m.device_count},
                  {"device_index", m.device_index},
                  {"pci_bus_id", m.pci_bus_id},
                  {"compute_capability", m.compute_capability},
                  {"sm_count", m.sm_count},
                  {"memory_gb", m.memory_gb},
                  {"sm_clock_mhz", m.sm_clock_mhz},
                  {"memory_clock_mhz", m.memory_clock_mhz},
                  {"driver_version", m.driver_version},
                  {"cuda_runtime_version", m.cuda_runtime_version},
                  {"cublas_version", m.cublas_version},
                  {"nccl_version", m.nccl_version},
                  {"blas_version", m.blas_version},
                  {"sku", m.sku},
                  {"peak_tflops", m.peak_tflops},
                  {"peak_dtype", m.peak_dtype},
                  {"peak_memory_tb_s", m.peak_memory_tb_s},
                  {"peak_source", m.peak_source},
                  {"host", m.host},
                  {"cpu", m.cpu},
                  {"os", m.os},
                  {"git_commit", m.git_commit},
                  {"trainbench_version", m.trainbench_version},
                  {"build_type", m.build_type},
                  {"command_line", m.command_line},
                  {"utc_time", m.utc_time},
                  {"host_cpus", m.host_cpus}};
  if (m.load_avg_1m) machine["load_avg_1m"] = *m.load_avg_1m;
  if (m.cpu_scaling_enabled) machine["cpu_scaling_enabled"] = *m.cpu_scaling_enabled;
  if (m.measured_clock_mhz) machine["measured_clock_mhz"] = *m.measured_clock_mhz;
  if (m.measured_memory_tb_s) machine["measured_memory_tb_s"] = *m.measured_memory_tb_s;
  const auto& w = r.workload;
  json workload = {{"command", w.command},           {"model", w.model},
                   {"tensor_parallel", w.tensor_parallel}, {"expert_parallel", w.expert_parallel},
                   {"micro_batch", w.micro_batch},
                   {"seq_len", w.seq_len},           {"dtype", w.dtype},
                   {"device", w.device},             {"micro_batches", w.micro_batches},
                   {"data_parallel", w.data_parallel}};
  if (!w.model_file.empty()) workload["model_file"] = w.model_file;
  if (!w.attention_impl.empty()) workload["attention_impl"] = w.attention_impl;
  if (w.timing)
    workload["timing"] = {{"noise", w.timing->noise},           {"min_samples", w.timing->min_samples},
                          {"max_samples", w.timing->max_samples}, {"min_time_s", w.timing->min_time_s},
                          {"max_time_s", w.timing->max_time_s},   {"warmup", w.timing->warmup},
                          {"budget_s", w.timing->budget_s}};
  if (w.timing && w.timing->throttle_threshold)
    workload["timing"]["throttle_threshold"] = *w.timing->throttle_threshold;
  if (w.timing && w.timing->throttle_recovery_delay_s)
    workload["timing"]["throttle_recovery_delay_s"] = *w.timing->throttle_recovery_delay_s;
  json kernels = json::array();
  for (const auto& k : r.kernels) {
    json kj = {{"name", k.name},
               {"kind", k.kind},
               {"shape", k.shape},
               {"dims", k.dims},
               {"layout", k.layout},
               {"causal", k.causal},
               {"dtype", k.dtype},
               {"status", k.status},
               {"error", k.error},
               {"flops", k.flops},
               {"model_flops", k.model_flops},
               {"bytes", k.bytes},
               {"calls_per_step", k.calls_per_step},
               {"per_optimizer_step", k.per_optimizer_step},
               {"stats", stats_json(k.stats)},
               {"median_ms", k.stats.median_ms},
               {"samples", k.stats.samples},
               {"rel_noise", k.stats.rel_noise},
               {"stop_reason", k.stop_reason},
               {"samples_ms", k.samples_ms},
               {"tflops", k.tflops},
               {"gbps", k.gbps},
               {"pct_of_peak", k.pct_of_peak},
               {"verified", k.verified},
               {"max_rel_error", k.max_rel_error},
               {"tolerance", k.tolerance},
               {"algorithm", k.algorithm}};
    if (k.clocks) {
      kj["clocks"] = {{"sm_clock_mhz_min", k.clocks->sm_clock_mhz_min},
                      {"sm_clock_mhz_max", k.clocks->sm_clock_mhz_max},
                      {"power_w_max", k.clocks->power_w_max},
                      {"power_w_mean", k.clocks->power_w_mean},
                      {"clock_dropped", k.clocks->clock_dropped},
                      {"throttle_reasons", k.clocks->throttle_reasons},
                      {"throttled_samples_discarded", k.clocks->throttled_samples_discarded}};
    }
    if (k.algbw_gb_s) kj["algbw_gb_s"] = *k.algbw_gb_s;
    if (k.busbw_gb_s) kj["busbw_gb_s"] = *k.busbw_gb_s;
    if (k.wrong_elements) kj["wrong_elements"] = *k.wrong_elements;
    kernels.push_back(std::move(kj));
  }
  json out = {{"schema_version", r.schema_version},
              {"status", r.status},
              {"machine", machine},
              {"workload", workload},
              {"kernels", kernels}};
  if (r.step) {
    const auto& s = *r.step;
    out["step"] = {{"step_ms", s.step_ms},
                   {"layer_ms", s.layer_ms},
                   {"tokens_per_s", s.tokens_per_s},
                   {"model_flops", s.model_flops},
                   {"hardware_flops", s.hardware_flops},
                   {"mfu", s.mfu},
                   {"hfu", s.hfu},
                   {"sustained_tflops", s.sustained_tflops},
                   {"complete", s.complete}};
  }
  if (!r.ranks.empty()) {
    json ranks = json::array();
    for (const auto& rk : r.ranks)
      ranks.push_back({{"rank", rk.rank},           {"local_rank", rk.local_rank},
                       {"host", rk.host},           {"backend", rk.backend},
                       {"device_name", rk.device_name}, {"device_index", rk.device_index},
                       {"driver_version", rk.driver_version}, {"nccl_version", rk.nccl_version},
                       {"mpi_version", rk.mpi_version}, {"cpu", rk.cpu},
                       {"os", rk.os}});
    out["ranks"] = ranks;
  }
  if (!r.health.is_null()) out["health"] = r.health;
  return out;
}

RunResults from_json(const json& j, const std::string& origin) {
  if (!j.is_object()) throw UsageError(fmt::format("{}: not a trainbench results file (top level is not an object)", origin));
  FieldReader top(j, origin, "");
  RunResults r;
  if (!j.contains("schema_version"))
    throw UsageError(fmt::format("{}: not a trainbench results file (no schema_version)", origin));
  r.schema_version = top.get<int>("schema_version");
  if (r.schema_version != kSchemaVersion && r.schema_version != kOldestSchemaVersion)
    throw UsageError(fmt::format("{}: results schema_version {} is not supported; this trainbench reads versions {} "
                                 "and {}",
                                 origin, r.schema_version, kOldestSchemaVersion, kSchemaVersion));
  r.status = top.get<std::string>("status");
  if (r.status != "complete" && r.status != "partial" && r.status != "failed")
    top.fail("status", fmt::format("is '{}'; accepted values: complete, partial, failed", r.status));

  FieldReader m = top.child("machine");
  auto& mi = r.machine;
  mi.backend = m.get<std::string>("backend");
  mi.device_name = m.get<std::string>("device_name");
  mi.device_count = m.get_or<int>("device_count", 0);
  mi.device_index = m.get_or<int>("device_index", 0);
  mi.pci_bus_id = m.get_or<std::string>("pci_bus_id", "");
  mi.compute_capability = m.get_or<std::string>("compute_capability", "");
  mi.sm_count = m.get_or<int>("sm_count", 0);
  mi.memory_gb = m.get_or<double>("memory_gb", 0);
  mi.sm_clock_mhz = m.get_or<double>("sm_clock_mhz", 0);
  mi.memory_clock_mhz = m.get_or<double>("memory_clock_mhz", 0);
  mi.driver_version = m.get_or<std::string>("driver_version", "");
  mi.cuda_runtime_version = m.get_or<std::string>("cuda_runtime_version", "");
  mi.cublas_version = m.get_or<std::string>("cublas_version", "");
  mi.nccl_version = m.get_or<std::string>("nccl_version", "");
  mi.blas_version = m.get_or<std::string>("blas_version", "");
  mi.sku = m.get_or<std::string>("sku", "");
  mi.peak_tflops = m.get_nonneg_or("peak_tflops", 0);
  mi.peak_memory_tb_s = m.get_nonneg_or("peak_memory_tb_s", 0);
  mi.peak_source = m.get_or<std::string>("peak_source", "");
  if (m.has("measured_clock_mhz")) mi.measured_clock_mhz = m.get_nonneg("measured_clock_mhz");
  if (m.has("measured_memory_tb_s")) mi.measured_memory_tb_s = m.get_nonneg("measured_memory_tb_s");
  mi.host = m.get_or<std::string>("host", "");
  mi.cpu = m.get_or<std::string>("cpu", "");
  mi.os = m.get_or<std::string>("os", "");
  mi.git_commit = m.get<std::string>("git_commit");
  mi.trainbench_version = m.get_or<std::string>("trainbench_version", "");
  mi.build_type = m.get_or<std::string>("build_type", "");
  if (m.has("cpu_scaling_enabled")) mi.cpu_scaling_enabled = m.get<bool>("cpu_scaling_enabled");
  mi.command_line = m.get<std::string>("command_line");
  mi.utc_time = m.get<std::string>("utc_time");
  if (m.has("load_avg_1m")) mi.load_avg_1m = m.get_nonneg("load_avg_1m");
  mi.host_cpus = static_cast<int>(m.get_or<int64_t>("host_cpus", 0));

  FieldReader w = top.child("workload");
  auto& wi = r.workload;
  wi.command = w.get<std::string>("command");
  wi.model = w.get_or<std::string>("model", "");
  wi.model_file = w.get_or<std::string>("model_file", "");
  wi.attention_impl = w.get_or<std::string>("attention_impl", "");
  wi.tensor_parallel = w.get_or<int64_t>("tensor_parallel", 1);
  wi.expert_parallel = w.get_or<int64_t>("expert_parallel", 1);
  wi.micro_batch = w.get_or<int64_t>("micro_batch", 1);
  // Files from before the optimizer step was measured: one micro-batch an optimizer step, dp 1.
  wi.micro_batches = w.get_or<int64_t>("micro_batches", 1);
  if (wi.micro_batches < 1)
    w.fail("micro_batches", fmt::format("must be at least 1 (micro-batches per optimizer step; got {})", wi.micro_batches));
  wi.data_parallel = w.get_or<int64_t>("data_parallel", 1);
  if (wi.data_parallel < 1)
    w.fail("data_parallel", fmt::format("must be at least 1 (data-parallel ranks; got {})", wi.data_parallel));
  wi.seq_len = w.get_or<int64_t>("seq_len", 0);
  wi.dtype = w.get<std::string>("dtype");
  wi.device = w.get<std::string>("device");
  if (w.has("timing")) {
    const FieldReader t = w.child("timing");
    TimingInfo ti;
    ti.noise = t.get_nonneg("noise");
    ti.min_samples = t.get_count("min_samples");
    ti.max_samples = t.get_count("max_samples");
    ti.min_time_s = t.get_nonneg("min_time_s");
    ti.max_time_s = t.get_nonneg("max_time_s");
    ti.warmup = static_cast<int>(t.get_count("warmup"));
    ti.budget_s = t.get_nonneg_or("budget_s", 0);
    if (t.has("throttle_threshold")) ti.throttle_threshold = t.get_nonneg("throttle_threshold");
    if (t.has("throttle_recovery_delay_s")) ti.throttle_recovery_delay_s = t.get_nonneg("throttle_recovery_delay_s");
    wi.timing = ti;
  }
  // Files older than peak_dtype had their peak in the run's own dtype.
  mi.peak_dtype = m.get_or<std::string>("peak_dtype", wi.dtype);
  if (mi.peak_dtype.empty()) mi.peak_dtype = wi.dtype;

  if (!j.contains("kernels") || !j.at("kernels").is_array()) top.fail("kernels", "must be an array");
  const json& ks = j.at("kernels");
  for (size_t i = 0; i < ks.size(); ++i) {
    if (!ks[i].is_object()) top.fail(fmt::format("kernels[{}]", i), "must be an object");
    FieldReader k(ks[i], origin, fmt::format("kernels[{}].", i));
    KernelResult kr;
    kr.name = k.get<std::string>("name");
    kr.kind = k.get<std::string>("kind");
    kr.shape = k.get_or<std::string>("shape", "");
    if (k.has("dims")) {
      if (!k.raw().at("dims").is_object()) k.fail("dims", "must be an object");
      for (auto it = k.raw().at("dims").begin(); it != k.raw().at("dims").end(); ++it) {
        if (!it.value().is_number_integer()) k.fail("dims." + it.key(), "must be an integer");
        kr.dims[it.key()] = it.value().get<int64_t>();
      }
    }
    if (kr.kind == "gemm" && gemm_batch(kr) < 1)
      k.fail("dims.batch", fmt::format("must be at least 1 (a GEMM's groups; got {})", gemm_batch(kr)));
    kr.layout = k.get_or<std::string>("layout", "");
    kr.causal = k.get_or<bool>("causal", false);
    kr.dtype = k.get<std::string>("dtype");
    kr.status = k.get<std::string>("status");
    // Case-sensitive, as every reader compares it: an unknown "OK" would read as a kernel not
    // measured in a run that says it is complete.
    if (!is_kernel_status(kr.status))
      k.fail("status", fmt::format("is '{}'; accepted values: {}", kr.status, kKernelStatuses));
    kr.error = k.get_or<std::string>("error", "");
    kr.flops = k.get_nonneg("flops");
    kr.model_flops = k.get_nonneg_or("model_flops", kr.flops);
    kr.bytes = k.get_nonneg("bytes");
    kr.calls_per_step = k.get_or<int64_t>("calls_per_step", 1);
    if (kr.calls_per_step < 0) k.fail("calls_per_step", fmt::format("must be >= 0 (got {})", kr.calls_per_step));
    kr.per_optimizer_step = k.get_or<bool>("per_optimizer_step", false);
    if (k.has("stats")) kr.stats = stats_from(k.child("stats"));
    // A measured kernel's median divides its FLOPs: no timer resolves below a nanosecond.
    kr.stats.median_ms = kr.status == "ok" ? k.get_at_least("median_ms", kMinMedianMs, "a measured kernel's time in ms")
                                           : k.get_nonneg("median_ms");
    kr.stats.samples = k.get_count("samples");
    kr.stats.rel_noise = k.get_nonneg("rel_noise");
    kr.stop_reason = k.get_or<std::string>("stop_reason", "");
    if (k.has("samples_ms")) {
      const json& sv = k.raw().at("samples_ms");
      if (!sv.is_array()) k.fail("samples_ms", "must be an array of numbers");
      for (const auto& x : sv) {
        if (!x.is_number() || !std::isfinite(x.get<double>()) || x.get<double>() < 0)
          k.fail("samples_ms", "must be an array of finite numbers >= 0");
        kr.samples_ms.push_back(x.get<double>());
      }
      // Comparisons test the samples and trust the count: one that disagrees with the samples
      // kept is a file edited or written wrongly. An empty list is samples not kept.
      if (!kr.samples_ms.empty() && static_cast<int64_t>(kr.samples_ms.size()) != kr.stats.samples)
        k.fail("samples", fmt::format("is {} but samples_ms holds {} values; they must agree (or samples_ms be empty)",
                                      kr.stats.samples, kr.samples_ms.size()));
    }
    kr.tflops = k.get_nonneg("tflops");
    kr.gbps = k.get_nonneg_or("gbps", 0);
    kr.pct_of_peak = k.get_nonneg_or("pct_of_peak", 0);
    kr.verified = k.get<bool>("verified");
    kr.max_rel_error = k.get_or<double>("max_rel_error", 0);
    kr.tolerance = k.get_or<double>("tolerance", 0);
    kr.algorithm = k.get_or<std::string>("algorithm", "");
    if (k.has("clocks")) {
      FieldReader c = k.child("clocks");
      ClockSummary cs;
      cs.sm_clock_mhz_min = c.get_or<double>("sm_clock_mhz_min", 0);
      cs.sm_clock_mhz_max = c.get_or<double>("sm_clock_mhz_max", 0);
      cs.power_w_max = c.get_or<double>("power_w_max", 0);
      cs.power_w_mean = c.get_or<double>("power_w_mean", 0);
      cs.clock_dropped = c.get_or<bool>("clock_dropped", false);
      cs.throttle_reasons = c.get_or<std::string>("throttle_reasons", "");
      if (c.has("throttled_samples_discarded"))
        cs.throttled_samples_discarded = c.get_count("throttled_samples_discarded");
      kr.clocks = cs;
    }
    if (k.has("algbw_gb_s")) kr.algbw_gb_s = k.get_nonneg("algbw_gb_s");
    if (k.has("busbw_gb_s")) kr.busbw_gb_s = k.get_nonneg("busbw_gb_s");
    if (k.has("wrong_elements")) kr.wrong_elements = k.get_count("wrong_elements");
    r.kernels.push_back(std::move(kr));
  }

  if (top.has("step")) {
    FieldReader s = top.child("step");
    StepResult st;
    // A whole step's time divides its FLOPs and tokens: a microsecond is below any real step
    // (one kernel launch takes several).
    // A run whose every kernel failed (oom, unsupported, interrupted first) records a step of
    // 0 ms; it must read back, so that compare and export can say why it failed.
    const bool measured = std::any_of(r.kernels.begin(), r.kernels.end(),
                                      [](const KernelResult& k) { return k.status == "ok"; });
    st.step_ms = measured ? s.get_at_least("step_ms", kMinStepMs, "a training step's time in ms")
                          : s.get_nonneg("step_ms");
    st.layer_ms = s.get_nonneg_or("layer_ms", 0);
    st.tokens_per_s = s.get_nonneg("tokens_per_s");
    st.model_flops = s.get_nonneg_or("model_flops", 0);
    st.hardware_flops = s.get_nonneg_or("hardware_flops", 0);
    st.mfu = s.get_nonneg("mfu");
    st.hfu = s.get_nonneg_or("hfu", 0);
    st.sustained_tflops = s.get_nonneg_or("sustained_tflops", 0);
    st.complete = s.get_or<bool>("complete", true);
    r.step = st;
  }
  if (top.has("ranks")) {
    if (!j.at("ranks").is_array()) top.fail("ranks", "must be an array");
    const json& rs = j.at("ranks");
    for (size_t i = 0; i < rs.size(); ++i) {
      if (!rs[i].is_object()) top.fail(fmt::format("ranks[{}]", i), "must be an object");
      FieldReader q(rs[i], origin, fmt::format("ranks[{}].", i));
      RankInfo rk;
      rk.rank = q.get<int>("rank");
      rk.local_rank = q.get_or<int>("local_rank", 0);
      rk.host = q.get<std::string>("host");
      rk.backend = q.get_or<std::string>("backend", "");
      rk.device_name = q.get_or<std::string>("device_name", "");
      rk.device_index = q.get_or<int>("device_index", -1);
      rk.driver_version = q.get_or<std::string>("driver_version", "");
      rk.nccl_version = q.get_or<std::string>("nccl_version", "");
      rk.mpi_version = q.get_or<std::string>("mpi_version", "");
      rk.cpu = q.get_or<std::string>("cpu", "");
      rk.os = q.get_or<std::string>("os", "");
      r.ranks.push_back(std::move(rk));
    }
  }
  if (top.has("health")) {
    const json& h = j.at("health");
    if (!h.is_object() || !h.contains("verdict") || !h.at("verdict").is_string())
      top.fail("health", "must be an object with a string verdict (as `trainbench health --json` prints it)");
    r.health = h;
  }
  convert_from_schema_1(r);  // version 1 counted causal attention halved in MFU
  return r;
}

RunResults read_results_file(const std::string& path) {
  // A directory opens as an empty stream and /dev/null reads as empty: say what it is instead.
  // Pipes stay accepted (`compare <(ssh host cat run.json) ...`).
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(st))
    throw UsageError(fmt::format("{}: is a directory, not a results file; give a results .json file", path));
  if (std::filesystem::exists(st) && !std::filesystem::is_regular_file(st) && !std::filesystem::is_fifo(st))
    throw UsageError(fmt::format("{}: is not a regular file; give a results .json file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("{}: cannot open results file", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw UsageError(fmt::format("{}: results file is empty", path));
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw UsageError(fmt::format("{}: results file is truncated or corrupted (byte {}): {}", path, e.byte, e.what()));
  } catch (const json::exception&) {
    // out_of_range.406: a number beyond double's range (1e999); no file we write holds one.
    throw UsageError(fmt::format("{}: results file is corrupted: it holds a number too large to represent", path));
  }
  return from_json(j, path);
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  namespace fs = std::filesystem;
  fs::path target(path);
  // No folder is created: output paths are checked before any work (output_path.hpp), and one
  // that went away since is an error, not a new folder.
  if (target.has_parent_path() && !fs::is_directory(target.parent_path()))
    throw RuntimeError(fmt::format("{}: cannot write: folder {} does not exist", path, target.parent_path().string()));
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw RuntimeError(fmt::format("{}: cannot write: {}", tmp, std::strerror(errno)));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;  // Ctrl-C mid-write must not lose the file
      ::close(fd);
      ::unlink(tmp.c_str());
      throw RuntimeError(fmt::format("{}: write failed: {}", tmp, std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  // A full disk or an I/O error can surface only at fsync or close: then the old file stays.
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw RuntimeError(fmt::format("{}: cannot write (fsync): {}", tmp, std::strerror(err)));
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw RuntimeError(fmt::format("{}: cannot write (close): {}", tmp, std::strerror(err)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw RuntimeError(fmt::format("{}: cannot rename into place: {}", path, std::strerror(err)));
  }
  // The rename is durable once the directory is: sync it too (best effort; not every filesystem can).
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : std::string(".");
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_results_file(const std::string& path, const RunResults& results) {
  // Checked with the flags already; a file put there while the command measured is refused too,
  // for no measurement is worth an executable or a source file.
  if (std::filesystem::is_regular_file(path))
    if (const std::string refusal = replacement_refusal(path, "--out", OutputKind::Results); !refusal.empty())
      throw UsageError(refusal);
  write_file_atomic(path, to_json(results).dump(2) + "\n");
}

}  // namespace tb::results
