// Results files: what is written is what is read. A synthetic run with every optional part set
// (load average, timing, clocks, collectives' bandwidths, wrong elements, ranks) goes through
// to_json and from_json and comes back field by field; and writing what was read writes the same
// JSON again.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/common/errors.hpp"
#include "harness/results/results_io.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/every_field_results.hpp"

namespace tb::results {
namespace {

using testing::every_field;


void expect_same_stats(const timing::SampleStats& a, const timing::SampleStats& b) {
  EXPECT_EQ(a.samples, b.samples);
  EXPECT_EQ(a.median_ms, b.median_ms);
  EXPECT_EQ(a.mean_ms, b.mean_ms);
  EXPECT_EQ(a.min_ms, b.min_ms);
  EXPECT_EQ(a.max_ms, b.max_ms);
  EXPECT_EQ(a.p10_ms, b.p10_ms);
  EXPECT_EQ(a.p90_ms, b.p90_ms);
  EXPECT_EQ(a.stddev_ms, b.stddev_ms);
  EXPECT_EQ(a.rel_stddev, b.rel_stddev);
  EXPECT_EQ(a.mad_ms, b.mad_ms);
  EXPECT_EQ(a.outliers, b.outliers);
  EXPECT_EQ(a.rel_noise, b.rel_noise);
}

void expect_same_kernel(const KernelResult& a, const KernelResult& b) {
  SCOPED_TRACE(a.name);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_EQ(a.dims, b.dims);
  EXPECT_EQ(a.layout, b.layout);
  EXPECT_EQ(a.causal, b.causal);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.flops, b.flops);
  EXPECT_EQ(a.model_flops, b.model_flops);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.calls_per_step, b.calls_per_step);
  EXPECT_EQ(a.per_optimizer_step, b.per_optimizer_step);
  expect_same_stats(a.stats, b.stats);
  EXPECT_EQ(a.stop_reason, b.stop_reason);
  EXPECT_EQ(a.samples_ms, b.samples_ms);
  EXPECT_EQ(a.tflops, b.tflops);
  EXPECT_EQ(a.gbps, b.gbps);
  EXPECT_EQ(a.pct_of_peak, b.pct_of_peak);
  EXPECT_EQ(a.verified, b.verified);
  EXPECT_EQ(a.max_rel_error, b.max_rel_error);
  EXPECT_EQ(a.tolerance, b.tolerance);
  EXPECT_EQ(a.algorithm, b.algorithm);
  ASSERT_EQ(a.clocks.has_value(), b.clocks.has_value());
  if (a.clocks) {
    EXPECT_EQ(a.clocks->sm_clock_mhz_min, b.clocks->sm_clock_mhz_min);
    EXPECT_EQ(a.clocks->sm_clock_mhz_max, b.clocks->sm_clock_mhz_max);
    EXPECT_EQ(a.clocks->power_w_max, b.clocks->power_w_max);
    EXPECT_EQ(a.clocks->power_w_mean, b.clocks->power_w_mean);
    EXPECT_EQ(a.clocks->clock_dropped, b.clocks->clock_dropped);
    EXPECT_EQ(a.clocks->throttle_reasons, b.clocks->throttle_reasons);
    EXPECT_EQ(a.clocks->throttled_samples_discarded, b.clocks->throttled_samples_discarded);
  }
  EXPECT_EQ(a.algbw_gb_s, b.algbw_gb_s);
  EXPECT_EQ(a.busbw_gb_s, b.busbw_gb_s);
  EXPECT_EQ(a.wrong_elements, b.wrong_elements);
}

void expect_same(const RunResults& a, const RunResults& b) {
  EXPECT_EQ(a.schema_version, b.schema_version);
  EXPECT_EQ(a.status, b.status);
  const auto &ma = a.machine, &mb = b.machine;
  EXPECT_EQ(ma.backend, mb.backend);
  EXPECT_EQ(ma.device_name, mb.device_name);
  EXPECT_EQ(ma.device_count, mb.device_count);
  EXPECT_EQ(ma.device_index, mb.device_index);
  EXPECT_EQ(ma.pci_bus_id, mb.pci_bus_id);
  EXPECT_EQ(ma.compute_capability, mb.compute_capability);
  EXPECT_EQ(ma.sm_count, mb.sm_count);
  EXPECT_EQ(ma.memory_gb, mb.memory_gb);
  EXPECT_EQ(ma.sm_clock_mhz, mb.sm_clock_mhz);
  EXPECT_EQ(ma.memory_clock_mhz, mb.memory_clock_mhz);
  EXPECT_EQ(ma.driver_version, mb.driver_version);
  EXPECT_EQ(ma.cuda_runtime_version, mb.cuda_runtime_version);
  EXPECT_EQ(ma.cublas_version, mb.cublas_version);
  EXPECT_EQ(ma.nccl_version, mb.nccl_version);
  EXPECT_EQ(ma.blas_version, mb.blas_version);
  EXPECT_EQ(ma.sku, mb.sku);
  EXPECT_EQ(ma.peak_tflops, mb.peak_tflops);
  EXPECT_EQ(ma.peak_dtype, mb.peak_dtype);
  EXPECT_EQ(ma.peak_memory_tb_s, mb.peak_memory_tb_s);
  EXPECT_EQ(ma.peak_source, mb.peak_source);
  EXPECT_EQ(ma.measured_clock_mhz, mb.measured_clock_mhz);
  EXPECT_EQ(ma.measured_memory_tb_s, mb.measured_memory_tb_s);
  EXPECT_EQ(ma.host, mb.host);
  EXPECT_EQ(ma.cpu, mb.cpu);
  EXPECT_EQ(ma.os, mb.os);
  EXPECT_EQ(ma.load_avg_1m, mb.load_avg_1m);
  EXPECT_EQ(ma.host_cpus, mb.host_cpus);
  EXPECT_EQ(ma.git_commit, mb.git_commit);
  EXPECT_EQ(ma.trainbench_version, mb.trainbench_version);
  EXPECT_EQ(ma.command_line, mb.command_line);
  EXPECT_EQ(ma.utc_time, mb.utc_time);
  const auto &wa = a.workload, &wb = b.workload;
  EXPECT_EQ(wa.command, wb.command);
  EXPECT_EQ(wa.model, wb.model);
  EXPECT_EQ(wa.model_file, wb.model_file);
  EXPECT_EQ(wa.attention_impl, wb.attention_impl);
  EXPECT_EQ(wa.tensor_parallel, wb.tensor_parallel);
  EXPECT_EQ(wa.micro_batch, wb.micro_batch);
  EXPECT_EQ(wa.seq_len, wb.seq_len);
  EXPECT_EQ(wa.dtype, wb.dtype);
  EXPECT_EQ(wa.device, wb.device);
  EXPECT_EQ(wa.expert_parallel, wb.expert_parallel);
  EXPECT_EQ(wa.micro_batches, wb.micro_batches);
  EXPECT_EQ(wa.data_parallel, wb.data_parallel);
  ASSERT_EQ(wa.timing.has_value(), wb.timing.has_value());
  if (wa.timing) {
    EXPECT_EQ(wa.timing->noise, wb.timing->noise);
    EXPECT_EQ(wa.timing->min_samples, wb.timing->min_samples);
    EXPECT_EQ(wa.timing->max_samples, wb.timing->max_samples);
    EXPECT_EQ(wa.timing->min_time_s, wb.timing->min_time_s);
    EXPECT_EQ(wa.timing->max_time_s, wb.timing->max_time_s);
    EXPECT_EQ(wa.timing->warmup, wb.timing->warmup);
    EXPECT_EQ(wa.timing->budget_s, wb.timing->budget_s);
    EXPECT_EQ(wa.timing->throttle_threshold, wb.timing->throttle_threshold);
    EXPECT_EQ(wa.timing->throttle_recovery_delay_s, wb.timing->throttle_recovery_delay_s);
  }
  ASSERT_EQ(a.kernels.size(), b.kernels.size());
  for (size_t i = 0; i < a.kernels.size(); ++i) expect_same_kernel(a.kernels[i], b.kernels[i]);
  ASSERT_EQ(a.step.has_value(), b.step.has_value());
  if (a.step) {
    EXPECT_EQ(a.step->step_ms, b.step->step_ms);
    EXPECT_EQ(a.step->layer_ms, b.step->layer_ms);
    EXPECT_EQ(a.step->tokens_per_s, b.step->tokens_per_s);
    EXPECT_EQ(a.step->model_flops, b.step->model_flops);
    EXPECT_EQ(a.step->hardware_flops, b.step->hardware_flops);
    EXPECT_EQ(a.step->mfu, b.step->mfu);
    EXPECT_EQ(a.step->hfu, b.step->hfu);
    EXPECT_EQ(a.step->sustained_tflops, b.step->sustained_tflops);
    EXPECT_EQ(a.step->complete, b.step->complete);
  }
  ASSERT_EQ(a.ranks.size(), b.ranks.size());
  for (size_t i = 0; i < a.ranks.size(); ++i) {
    const auto &ra = a.ranks[i], &rb = b.ranks[i];
    EXPECT_EQ(ra.rank, rb.rank);
    EXPECT_EQ(ra.local_rank, rb.local_rank);
    EXPECT_EQ(ra.host, rb.host);
    EXPECT_EQ(ra.backend, rb.backend);
    EXPECT_EQ(ra.device_name, rb.device_name);
    EXPECT_EQ(ra.device_index, rb.device_index);
    EXPECT_EQ(ra.driver_version, rb.driver_version);
    EXPECT_EQ(ra.nccl_version, rb.nccl_version);
    EXPECT_EQ(ra.mpi_version, rb.mpi_version);
    EXPECT_EQ(ra.cpu, rb.cpu);
    EXPECT_EQ(ra.os, rb.os);
  }
  EXPECT_EQ(a.health, b.health);
}

TEST(ResultsRoundTrip, FromJsonOfToJsonReproducesEveryField) {
  const RunResults r = every_field();
  expect_same(from_json(to_json(r), "memory"), r);
}

TEST(ResultsRoundTrip, WritingWhatWasReadWritesTheSameJson) {
  const nlohmann::json once = to_json(every_field());
  const nlohmann::json twice = to_json(from_json(once, "memory"));
  EXPECT_EQ(twice, once) << nlohmann::json::diff(once, twice).dump(2);
  // Through a file as well: the text is what a reader parses.
  const std::string dir = testing::make_temp_dir("tb_roundtrip_");
  write_results_file(dir + "/r.json", every_field());
  expect_same(read_results_file(dir + "/r.json"), every_field());
  EXPECT_EQ(to_json(read_results_file(dir + "/r.json")), once);
  std::filesystem::remove_all(dir);
}

// The optional parts absent stay absent: no load average, timing, clocks, collectives' figures,
// step or ranks appear from nowhere.
TEST(ResultsRoundTrip, AbsentOptionalPartsStayAbsent) {
  RunResults r = every_field();
  r.machine.load_avg_1m.reset();
  r.machine.measured_clock_mhz.reset();
  r.machine.measured_memory_tb_s.reset();
  r.workload.timing.reset();
  r.workload.model_file.clear();
  r.workload.attention_impl.clear();
  r.kernels.resize(1);
  r.kernels[0].clocks.reset();
  r.kernels[0].algbw_gb_s.reset();
  r.kernels[0].busbw_gb_s.reset();
  r.kernels[0].wrong_elements.reset();
  r.step.reset();
  r.ranks.clear();
  r.health = nullptr;
  const nlohmann::json j = to_json(r);
  EXPECT_FALSE(j.contains("health"));  // not a health battery
  EXPECT_FALSE(j.contains("step"));
  EXPECT_FALSE(j.contains("ranks"));
  EXPECT_FALSE(j["machine"].contains("load_avg_1m"));
  EXPECT_FALSE(j["machine"].contains("measured_clock_mhz"));  // a GPU, or a clock cpufreq gave
  EXPECT_FALSE(j["machine"].contains("measured_memory_tb_s"));
  EXPECT_FALSE(j["workload"].contains("timing"));
  EXPECT_FALSE(j["workload"].contains("model_file"));  // a model by name has none
  EXPECT_FALSE(j["workload"].contains("attention_impl"));  // a command without attention has none
  EXPECT_FALSE(j["kernels"][0].contains("clocks"));
  expect_same(from_json(j, "memory"), r);
  EXPECT_EQ(to_json(from_json(j, "memory")), j);
}

// Files from before throttled samples were discarded: no count (read as 0) and no throttle rule
// in their timing (read as absent); a negative count is refused naming the field.
TEST(ResultsRoundTrip, OlderFilesWithoutTheThrottleFieldsStillRead) {
  nlohmann::json j = to_json(every_field());
  j["kernels"][0]["clocks"].erase("throttled_samples_discarded");
  j["workload"]["timing"].erase("throttle_threshold");
  j["workload"]["timing"].erase("throttle_recovery_delay_s");
  const RunResults r = from_json(j, "old.json");
  ASSERT_TRUE(r.kernels[0].clocks);
  EXPECT_EQ(r.kernels[0].clocks->throttled_samples_discarded, 0);
  ASSERT_TRUE(r.workload.timing);
  EXPECT_FALSE(r.workload.timing->throttle_threshold);
  EXPECT_FALSE(r.workload.timing->throttle_recovery_delay_s);
  EXPECT_FALSE(to_json(r)["workload"]["timing"].contains("throttle_threshold"));
  j["kernels"][0]["clocks"]["throttled_samples_discarded"] = -1;
  try {
    from_json(j, "bad.json");
    ADD_FAILURE() << "a negative count was read";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("kernels[0].clocks.throttled_samples_discarded"), std::string::npos)
        << e.what();
  }
}

// `samples` counts the samples a comparison tests: a count that disagrees with samples_ms is a file
// edited or written wrongly, refused naming the field; an empty samples_ms is samples not kept.
TEST(ResultsRoundTrip, SamplesThatDisagreeWithSamplesMsAreRefused) {
  nlohmann::json j = to_json(every_field());
  ASSERT_EQ(j["kernels"][0]["samples_ms"].size(), 5u);
  j["kernels"][0]["samples"] = 4;
  try {
    from_json(j, "edited.json");
    ADD_FAILURE() << "4 samples with 5 samples_ms accepted";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("edited.json"), std::string::npos) << m;
    EXPECT_NE(m.find("kernels[0].samples"), std::string::npos) << m;
    EXPECT_NE(m.find("samples_ms holds 5 values"), std::string::npos) << m;
  }
  j["kernels"][0]["samples_ms"] = nlohmann::json::array();
  EXPECT_NO_THROW(from_json(j, "kept-none.json"));
}

// A kernel's status is one of six values, case-sensitive: "OK" in a complete file would read as a
// kernel not measured in a run that says it is whole. Refused naming the field and every value.
TEST(ResultsRoundTrip, AnUnknownKernelStatusIsRefusedNamingTheAcceptedValues) {
  for (const char* good : {"ok", "failed", "oom", "unsupported", "skipped", "interrupted"}) {
    nlohmann::json j = to_json(every_field());
    j["kernels"][0]["status"] = good;
    if (std::string(good) != "ok") j["kernels"][0]["median_ms"] = 0.0;  // not measured: 0 is allowed
    EXPECT_EQ(from_json(j, "good.json").kernels[0].status, good);
  }
  for (const char* bad : {"OK", "Failed", "passed", ""}) {
    nlohmann::json j = to_json(every_field());
    j["kernels"][0]["status"] = bad;
    try {
      from_json(j, "edited.json");
      ADD_FAILURE() << "kernel status '" << bad << "' accepted";
    } catch (const UsageError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("edited.json: results field 'kernels[0].status'"), std::string::npos) << m;
      EXPECT_NE(m.find(fmt::format("is '{}'; accepted values: ok, failed, oom, unsupported, skipped, interrupted", bad)),
                std::string::npos)
          << m;
    }
  }
}

// Files written before the peaks' provenance was recorded have no peak_source, measured_clock_mhz
// or measured_memory_tb_s: they still load, the source unknown ("") and this run's figures absent;
// a negative measurement is refused naming the field.
TEST(ResultsRoundTrip, MachinesWithoutPeakProvenanceStillLoad) {
  nlohmann::json j = to_json(every_field());
  ASSERT_EQ(j["machine"]["peak_source"], "sku h100-sxm");
  ASSERT_EQ(j["machine"]["measured_clock_mhz"], 3800);
  j["machine"].erase("peak_source");
  j["machine"].erase("measured_clock_mhz");
  j["machine"].erase("measured_memory_tb_s");
  const RunResults r = from_json(j, "old.json");
  EXPECT_EQ(r.machine.peak_source, "");
  EXPECT_FALSE(r.machine.measured_clock_mhz);
  EXPECT_FALSE(r.machine.measured_memory_tb_s);
  EXPECT_EQ(r.machine.peak_tflops, every_field().machine.peak_tflops);
  j["machine"]["measured_clock_mhz"] = -1;
  try {
    from_json(j, "edited.json");
    ADD_FAILURE() << "a negative measured clock accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("machine.measured_clock_mhz"), std::string::npos) << e.what();
  }
}

// Files written before the robust noise estimate have no mad_ms or outliers in their stats: they
// still load, with both read as 0 (not recorded), and every other figure as written.
TEST(ResultsRoundTrip, StatsWithoutMadOrOutliersStillLoad) {
  nlohmann::json j = to_json(every_field());
  ASSERT_EQ(j["kernels"][0]["stats"]["mad_ms"], 0.0011);
  ASSERT_EQ(j["kernels"][0]["stats"]["outliers"], 2);
  j["kernels"][0]["stats"].erase("mad_ms");
  j["kernels"][0]["stats"].erase("outliers");
  const RunResults r = from_json(j, "old.json");
  EXPECT_EQ(r.kernels[0].stats.mad_ms, 0);
  EXPECT_EQ(r.kernels[0].stats.outliers, 0);
  EXPECT_EQ(r.kernels[0].stats.rel_noise, 0.0167);
  EXPECT_EQ(r.kernels[0].stats.stddev_ms, 0.0037);
  // A file without stats at all (the headline fields alone) loads as before.
  j["kernels"][0].erase("stats");
  EXPECT_EQ(from_json(j, "older.json").kernels[0].stats.outliers, 0);
}

// More outliers than samples, or a negative count, is a file edited or written wrongly.
TEST(ResultsRoundTrip, ImpossibleOutlierCountsAreRefused) {
  for (const int bad : {6, -1}) {
    nlohmann::json j = to_json(every_field());
    j["kernels"][0]["stats"]["outliers"] = bad;  // of 5 samples
    try {
      from_json(j, "edited.json");
      ADD_FAILURE() << "accepted " << bad << " outliers of 5 samples";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("edited.json: results field 'kernels[0].stats.outliers'"), std::string::npos)
          << e.what();
    }
  }
}

// A health file's verdict is what a fleet script reads: an object with a string verdict, or refused
// naming the field.
TEST(ResultsRoundTrip, AHealthThatIsNotAVerdictIsRefused) {
  for (const nlohmann::json bad : {nlohmann::json("suspect"), nlohmann::json::object(),
                                   nlohmann::json{{"verdict", 3}}}) {
    nlohmann::json j = to_json(every_field());
    j["health"] = bad;
    try {
      from_json(j, "h.json");
      ADD_FAILURE() << "accepted health " << bad.dump();
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("h.json: results field 'health' must be an object with a string verdict"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace tb::results

namespace tb::results {
namespace {

// Files from before the optimizer step: no micro_batches, data_parallel or per_optimizer_step.
// They read as one micro-batch an optimizer step and every kernel once per micro-batch, so their
// step sums stay what they were; counts below 1 are refused, naming the field.
TEST(ResultsRoundTrip, FilesWithoutTheOptimizerStepFieldsStillRead) {
  nlohmann::json j = to_json(testing::every_field());
  j["workload"].erase("micro_batches");
  j["workload"].erase("data_parallel");
  for (auto& k : j["kernels"]) k.erase("per_optimizer_step");
  const RunResults old = from_json(j, "old.json");
  EXPECT_EQ(old.workload.micro_batches, 1);
  EXPECT_EQ(old.workload.data_parallel, 1);
  EXPECT_FALSE(old.kernels[0].per_optimizer_step);
  EXPECT_DOUBLE_EQ(step_calls(old.kernels[0], old.workload), 24.0);
  nlohmann::json bad = to_json(testing::every_field());
  bad["workload"]["micro_batches"] = 0;
  try {
    from_json(bad, "bad.json");
    ADD_FAILURE() << "micro_batches 0 was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("micro_batches"), std::string::npos) << e.what();
  }
  const RunResults now = testing::every_field();
  EXPECT_DOUBLE_EQ(step_calls(now.kernels[0], now.workload), 24.0 / 96);
}

}  // namespace
}  // namespace tb::results
