// Google Benchmark JSON export: the fields github-action-benchmark (googlecpp) and Bencher
// (cpp_google) read, with the right types and values.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "harness/common/errors.hpp"
#include "harness/export/gbench_export.hpp"
#include "harness/export/gbench_names.hpp"
#include "harness/runner/gbench_runner.hpp"
#include "harness/runner/measure_op.hpp"
#include "harness/workload/op.hpp"
#include "tests/report/synthetic_results.hpp"

using tb::exporting::to_gbench_json;

TEST(ExportGbench, OneIterationEntryPerKernelPlusTheStep) {
  const auto r = tb::testing::synthetic_run({});
  const auto j = to_gbench_json(r, "h100.json");
  ASSERT_TRUE(j.contains("context"));
  for (const char* key : {"date", "host_name", "executable", "num_cpus", "mhz_per_cpu", "caches", "load_avg"})
    EXPECT_TRUE(j["context"].contains(key)) << key;
  const auto& b = j.at("benchmarks");
  ASSERT_EQ(b.size(), r.kernels.size() + 1);
  std::set<std::string> names;
  for (size_t i = 0; i < r.kernels.size(); ++i) {
    const auto& e = b[i];
    const auto& k = r.kernels[i];
    for (const char* key : {"name", "run_name", "run_type", "time_unit"}) EXPECT_TRUE(e.at(key).is_string()) << key;
    for (const char* key : {"repetitions", "repetition_index", "threads", "iterations", "family_index"})
      EXPECT_TRUE(e.at(key).is_number_integer()) << key;
    EXPECT_EQ(e["run_type"], "iteration");
    EXPECT_EQ(e["time_unit"], "ms");
    EXPECT_EQ(e["iterations"].get<int64_t>(), 1);  // as the live pass-through: the name says iterations:1
    EXPECT_EQ(e["samples"].get<int64_t>(), k.stats.samples);
    EXPECT_EQ(e["verified"], k.verified ? 1 : 0);
    EXPECT_DOUBLE_EQ(e["real_time"].get<double>(), k.stats.median_ms);
    EXPECT_DOUBLE_EQ(e["cpu_time"].get<double>(), k.stats.median_ms);
    // Only the rates a kernel has: memory-bound kernels no TFLOPS, compute ones no GBps of 0.
    if (k.flops > 0)
      EXPECT_DOUBLE_EQ(e["TFLOPS"].get<double>(), k.tflops);
    else
      EXPECT_FALSE(e.contains("TFLOPS")) << k.name;
    EXPECT_EQ(e.contains("GBps"), k.gbps > 0) << k.name;
    EXPECT_EQ(e["name"].get<std::string>().find(' '), std::string::npos);  // dashboards split on spaces
    names.insert(e["name"].get<std::string>());
  }
  EXPECT_EQ(names.size(), r.kernels.size());
  EXPECT_EQ(b[0]["name"], tb::exporting::gbench_name(r, r.kernels[0]));
  EXPECT_EQ(b[0]["name"].get<std::string>().rfind("gpt3-175b/" + r.kernels[0].name + "/", 0), 0u) << b[0]["name"];
  const auto& step = b.back();
  EXPECT_EQ(step["name"], "gpt3-175b/step/tp8/mb1/seq2048/bf16");
  EXPECT_DOUBLE_EQ(step["real_time"].get<double>(), r.step->step_ms);
  EXPECT_DOUBLE_EQ(step["MFU"].get<double>(), r.step->mfu);
}

TEST(ExportGbench, PartialRunsExportOnlyMeasuredKernelsAndFailedRunsRefuse) {
  auto r = tb::testing::synthetic_run({});
  tb::testing::mark_not_measured(r, 0, "oom", "out of memory");
  std::vector<std::string> left_out;
  const auto j = to_gbench_json(r, "p.json", &left_out);
  // Only what measured cleanly is an entry (a dashboard plots every entry's real_time); the oom
  // kernel and the step that misses it are listed for the command to report.
  EXPECT_EQ(j["benchmarks"].size(), r.kernels.size() - 1);
  ASSERT_EQ(left_out.size(), 2u);
  EXPECT_NE(left_out[0].find(r.kernels[0].name), std::string::npos) << left_out[0];
  EXPECT_NE(left_out[0].find("oom"), std::string::npos) << left_out[0];
  EXPECT_NE(left_out[1].find("/step"), std::string::npos) << left_out[1];
  for (const auto& b : j["benchmarks"]) EXPECT_GT(b["real_time"].get<double>(), 0) << b.dump();
  r.status = "failed";
  try {
    to_gbench_json(r, "f.json");
    FAIL();
  } catch (const tb::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("f.json: the run failed"), std::string::npos) << e.what();
  }
}

// Kernels --benchmark_filter did not select are what the user asked for: no entry, and not listed
// as failures. A step at another dtype, tp, micro-batch or sequence is a series of its own.
TEST(ExportGbench, FilteredKernelsAreNoFailureAndFp8StepsAreTheirOwnSeries) {
  auto r = tb::testing::synthetic_run({});
  r.kernels[1].status = "skipped";
  r.kernels[1].error = "not selected by --benchmark_filter";
  r.step.reset();
  r.status = "partial";
  std::vector<std::string> left_out;
  const auto j = to_gbench_json(r, "filtered.json", &left_out);
  EXPECT_EQ(j["benchmarks"].size(), r.kernels.size() - 1);
  for (const auto& line : left_out) EXPECT_EQ(line.find(r.kernels[1].name + " "), std::string::npos) << line;
  std::set<std::string> steps;
  for (const auto& [tp, seq, dtype] : std::vector<std::tuple<int64_t, int64_t, std::string>>{
           {8, 2048, "bf16"}, {8, 2048, "fp8"}, {4, 2048, "bf16"}, {8, 1024, "bf16"}}) {
    tb::testing::SyntheticRunSpec spec;  // tp and seq as a run records them, tokens/s following
    spec.tensor_parallel = tp;
    spec.seq_len = seq;
    auto run = tb::testing::synthetic_run(spec);
    run.workload.dtype = dtype;
    steps.insert(to_gbench_json(run, "r.json")["benchmarks"].back()["name"].get<std::string>());
  }
  EXPECT_EQ(steps.size(), 4u);
  EXPECT_TRUE(steps.count("gpt3-175b/step/tp8/mb1/seq2048/fp8"));
}

// A run with the optimizer step charges Adam at 1/M: the same kernels at another M or dp give
// another step time, so another series; a file from before the optimizer step keeps its name.
TEST(ExportGbench, TheStepsSeriesNamesItsMicroBatchesPerOptimizerStep) {
  auto step_name = [](int64_t micro_batches, int64_t dp) {
    tb::testing::SyntheticRunSpec spec;
    spec.micro_batches = micro_batches;
    auto run = tb::testing::synthetic_run(spec);
    run.workload.data_parallel = dp;
    return to_gbench_json(run, "r.json")["benchmarks"].back()["name"].get<std::string>();
  };
  EXPECT_EQ(step_name(1536, 1), "gpt3-175b/step/tp8/mb1/seq2048/M1536/dp1/bf16");
  EXPECT_EQ(step_name(96, 16), "gpt3-175b/step/tp8/mb1/seq2048/M96/dp16/bf16");
  EXPECT_EQ(step_name(0, 1), "gpt3-175b/step/tp8/mb1/seq2048/bf16");  // no adam kernel

  // Adam's entry says its calls in the step of one micro-batch: the entries add up to the step.
  tb::testing::SyntheticRunSpec spec;
  spec.micro_batches = 96;
  const auto run = tb::testing::synthetic_run(spec);
  const auto b = to_gbench_json(run, "r.json")["benchmarks"];
  double sum = 0;
  bool seen = false;
  for (size_t i = 0; i + 1 < b.size(); ++i) {
    const double calls = b[i].contains("step_calls") ? b[i]["step_calls"].get<double>() : b[i]["calls_per_step"].get<double>();
    if (b[i].contains("step_calls")) {
      seen = true;
      EXPECT_DOUBLE_EQ(b[i]["step_calls"].get<double>(), b[i]["calls_per_step"].get<double>() / 96) << b[i]["name"];
    }
    sum += calls * b[i]["real_time"].get<double>();
  }
  EXPECT_TRUE(seen);
  EXPECT_NEAR(sum, b.back()["real_time"].get<double>(), 1e-9 * sum);
}

// Repetitions of one kernel are one family with its repetition indices, as Google Benchmark
// writes them; the shape's words are segments, as the live pass-through names them.
TEST(ExportGbench, RepetitionsShareAFamilyAndShapesKeepTheirSegments) {
  auto r = tb::testing::synthetic_run({});
  r.step.reset();
  r.workload.command = "gemm";
  r.workload.model = "";
  r.kernels.resize(1);
  r.kernels[0].shape = "b1 h12/12 s128 d64 causal";
  r.kernels.push_back(r.kernels[0]);
  r.kernels.push_back(r.kernels[0]);
  r.machine.host_cpus = 64;
  r.machine.load_avg_1m = 0.5;
  const auto j = to_gbench_json(r, "reps.json");
  ASSERT_EQ(j["benchmarks"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto& e = j["benchmarks"][i];
    EXPECT_EQ(e["family_index"], 0);
    EXPECT_EQ(e["repetitions"], 3);
    EXPECT_EQ(e["repetition_index"], i);
    EXPECT_EQ(e["name"], r.kernels[0].name + "/b1/h12/12/s128/d64/causal/" + r.kernels[0].dtype +
                             "/iterations:1/manual_time");
  }
  // The measuring machine's context, not the exporting one's.
  EXPECT_EQ(j["context"]["num_cpus"], 64);
  EXPECT_EQ(j["context"]["load_avg"], nlohmann::json::array({0.5}));
}

// A collective has bandwidths and no FLOPs: its algbw and busbw are exported, no TFLOPS or % of
// peak of 0 that a dashboard would plot as measured.
TEST(ExportGbench, CollectivesCarryTheirBandwidths) {
  auto r = tb::testing::synthetic_run({});
  r.step.reset();
  r.workload.command = "comm";
  r.kernels.resize(1);
  auto& k = r.kernels[0];
  k.name = "allreduce";
  k.kind = "collective";
  k.flops = 0;
  k.tflops = 0;
  k.pct_of_peak = 0;
  k.bytes = 80e9 * k.stats.median_ms * 1e-3;  // 80 GB/s at its median
  k.gbps = 80;
  k.algbw_gb_s = 80;
  k.busbw_gb_s = 140;  // 2(n-1)/n x algbw at 8 ranks
  const auto j = to_gbench_json(r, "c.json", nullptr);
  const auto& e = j["benchmarks"][0];
  EXPECT_DOUBLE_EQ(e["algbw_GBps"].get<double>(), 80);
  EXPECT_DOUBLE_EQ(e["busbw_GBps"].get<double>(), 140);
  EXPECT_FALSE(e.contains("TFLOPS"));
  EXPECT_FALSE(e.contains("pct_of_peak"));
  // The outliers the robust rel_noise does not show are a counter of their own.
  k.stats.outliers = 4;
  EXPECT_EQ(to_gbench_json(r, "c.json", nullptr)["benchmarks"][0]["outliers"], 4);
  // Sampled once: no rel_noise (0 would read as quiet), nor outliers.
  k.stats.samples = 1;
  k.stats.rel_noise = 0;
  k.stats.outliers = 0;
  EXPECT_FALSE(to_gbench_json(r, "c.json", nullptr)["benchmarks"][0].contains("rel_noise"));
  EXPECT_FALSE(to_gbench_json(r, "c.json", nullptr)["benchmarks"][0].contains("outliers"));
}

// The live --benchmark_format=json and `export` name one kernel alike (a dashboard fed both sees
// one series): Google Benchmark names a run registered under runner::gbench_name, one manual-time
// iteration, with kGbenchRunSuffix after it. (tests/cli/test_gemm_cli.cpp holds the two outputs
// of one measurement side by side.)
TEST(ExportGbench, NamesAreThePassThroughs) {
  for (const tb::Op& op : {tb::make_gemm_op("gemm", {256, 256, 256, tb::GemmLayout::Forward}, tb::DType::FP32),
                           tb::make_gemm_op("sweep", {64, 32, 16, tb::GemmLayout::WeightGrad}, tb::DType::BF16)}) {
    auto r = tb::testing::synthetic_run({});
    r.step.reset();
    r.workload.command = "gemm";
    r.workload.model = "";
    r.kernels = {tb::runner::describe_op(op)};
    r.kernels[0].status = "ok";
    EXPECT_EQ(tb::exporting::gbench_name(r, r.kernels[0]),
              tb::runner::gbench_name(op) + tb::exporting::kGbenchRunSuffix);
  }
  auto r = tb::testing::synthetic_run({});
  r.kernels.resize(1);
  r.kernels[0].name = "gemm";
  r.kernels[0].shape = "256x256x256 fwd";
  r.kernels[0].dtype = "fp32";
  EXPECT_EQ(tb::exporting::gbench_name(r, r.kernels[0]), "gpt3-175b/gemm/256x256x256/fwd/fp32/iterations:1/manual_time");
  r.workload.model = "";
  EXPECT_EQ(tb::exporting::gbench_name(r, r.kernels[0]), "gemm/256x256x256/fwd/fp32/iterations:1/manual_time");
}

// The context says what the file recorded and nothing it did not: no "release" for a build of
// unknown type, no "cpu_scaling_enabled: false" where no governor was read.
TEST(ExportGbench, BuildTypeAndCpuScalingOnlyAsRecorded) {
  auto r = tb::testing::synthetic_run({});
  r.machine.build_type = "";
  r.machine.cpu_scaling_enabled.reset();
  auto context = to_gbench_json(r, "old.json")["context"];
  EXPECT_FALSE(context.contains("library_build_type")) << context.dump();
  EXPECT_FALSE(context.contains("cpu_scaling_enabled")) << context.dump();
  EXPECT_FALSE(context.contains("trainbench_build_type")) << context.dump();
  for (const auto& [cmake, gbench] : std::vector<std::pair<std::string, std::string>>{
           {"Debug", "debug"}, {"None", "debug"}, {"Release", "release"}, {"RelWithDebInfo", "release"},
           {"MinSizeRel", "release"}}) {
    r.machine.build_type = cmake;
    context = to_gbench_json(r, "r.json")["context"];
    EXPECT_EQ(context["library_build_type"], gbench) << cmake;
    EXPECT_EQ(context["trainbench_build_type"], cmake);
  }
  r.machine.build_type = "Profiling";  // a custom type: no guess
  EXPECT_FALSE(to_gbench_json(r, "r.json")["context"].contains("library_build_type"));
  r.machine.cpu_scaling_enabled = true;
  EXPECT_EQ(to_gbench_json(r, "r.json")["context"]["cpu_scaling_enabled"], true);
  r.machine.cpu_scaling_enabled = false;
  EXPECT_EQ(to_gbench_json(r, "r.json")["context"]["cpu_scaling_enabled"], false);
}

// A --no-verify run's numbers are marked, in the counter and the label, and so is its step.
TEST(ExportGbench, UnverifiedKernelsAreMarked) {
  auto r = tb::testing::synthetic_run({});
  auto j = to_gbench_json(r, "r.json");
  EXPECT_EQ(j["benchmarks"][0]["verified"], 1);
  EXPECT_EQ(j["benchmarks"][0]["label"], r.kernels[0].shape + " " + r.kernels[0].dtype);
  EXPECT_EQ(j["benchmarks"].back()["verified"], 1);
  r.kernels[0].verified = false;
  j = to_gbench_json(r, "r.json");
  EXPECT_EQ(j["benchmarks"][0]["verified"], 0);
  EXPECT_EQ(j["benchmarks"][0]["label"], r.kernels[0].shape + " " + r.kernels[0].dtype + " UNVERIFIED");
  EXPECT_EQ(j["benchmarks"][1]["verified"], 1);
  EXPECT_EQ(j["benchmarks"].back()["verified"], 0);  // the step rests on an unchecked kernel
}
