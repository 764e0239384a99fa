// A re-run over an --out that holds a complete run (harness/results/partial_results.hpp,
// harness/runner/step_runner.hpp): its writes before the end go beside the file, the end replaces
// the file and removes the partial one, and an interrupt leaves the earlier file as it was; a run
// that ends complete in the file itself clears an earlier run's partial file, and nothing else.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <stdexcept>
#include <vector>

#include "harness/results/partial_results.hpp"
#include "harness/runner/interrupt.hpp"
#include "harness/runner/step_runner.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/noop_kernel.hpp"

namespace tb {
namespace {

using testing::make_temp_dir;
using testing::read_text;
using testing::write_text;

TEST(PartialResults, ThePartialFileSitsBesideTheResultsFile) {
  EXPECT_EQ(results::partial_path_beside("keep.json"), "keep.partial.json");
  EXPECT_EQ(results::partial_path_beside("/tmp/a.b/run.json"), "/tmp/a.b/run.partial.json");
  EXPECT_EQ(results::partial_path_beside("dir/run"), "dir/run.partial");
}

TEST(PartialResults, OnlyACompleteResultsFileIsProtected) {
  const std::string dir = make_temp_dir("tb_partial_");
  const auto file = [&](const std::string& name, const std::string& text) {
    write_text(dir + "/" + name, text);
    return dir + "/" + name;
  };
  const std::string complete = file("complete.json", R"({"schema_version": 1, "status": "complete", "machine": {}, "kernels": []})");
  EXPECT_TRUE(results::holds_complete_results(complete));
  EXPECT_EQ(results::progress_path_for(complete), dir + "/complete.partial.json");
  for (const std::string& other :
       {file("partial.json", R"({"schema_version": 1, "status": "partial", "machine": {}, "kernels": []})"),
        file("failed.json", R"({"schema_version": 1, "status": "failed", "machine": {}, "kernels": []})"), file("empty.json", ""),
        file("truncated.json", R"({"schema_version": 1, "status": "compl)"),
        file("other.json", R"({"status": "complete", "machine": {}, "kernels": []})"),  // no schema_version: no results file
        dir + "/absent.json", dir}) {
    EXPECT_FALSE(results::holds_complete_results(other)) << other;
    EXPECT_EQ(results::progress_path_for(other), other);
  }
  std::filesystem::remove_all(dir);
}

// A backend whose every sample takes 1 ms; at the op named `look_at` it records what the two files
// hold then, and interrupts the run there when `interrupt` is set.
class WatchingBackend final : public kernels::Backend {
 public:
  std::string out, partial, look_at, fail_at;
  bool interrupt = false;
  std::string out_seen, partial_status_seen;
  kernels::DeviceInfo device_info() const override { return {.backend = "fake", .name = "fake device"}; }
  std::unique_ptr<kernels::Kernel> prepare(const Op& op, const kernels::PrepareOptions&) override {
    current_ = op.name;
    if (op.name == fail_at) throw std::runtime_error("out of memory (planted)");
    return std::make_unique<testing::NoopKernel>();
  }
  double time_sample_ms(kernels::Kernel&) override {
    if (current_ == look_at && out_seen.empty()) {
      out_seen = read_text(out);
      if (std::filesystem::exists(partial))
        partial_status_seen = nlohmann::json::parse(read_text(partial)).at("status").get<std::string>();
      if (interrupt) runner::request_interrupt();
    }
    return 1.0;
  }
  void synchronize() override {}
  double free_memory_bytes() const override { return 1e12; }

 private:
  std::string current_;
};

Workload three_gemms() {
  Workload w;
  w.model.name = "fake";
  w.model.layers = 1;
  w.options.seq_len = 64;
  for (const char* name : {"a", "b", "c"}) w.ops.push_back(make_gemm_op(name, {64, 64, 64}, DType::FP32));
  return w;
}

runner::StepRunOptions quick(const std::string& out, const std::string& partial) {
  runner::StepRunOptions o;
  o.measure.policy.warmup_launches = 0;
  o.measure.policy.min_samples = 3;
  o.measure.policy.max_samples = 3;
  o.measure.policy.min_time_s = 0;
  o.out_path = out;
  o.partial_path = partial;
  return o;
}

// A re-run over an --out that holds a complete results file, its partial path beside it.
class RerunOverACompleteFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("tb_partial_");
    out_ = dir_ + "/keep.json";
    write_text(out_, kEarlier);
    runner::reset_interrupted();
    backend_.out = out_;
    backend_.partial = results::progress_path_for(out_);
  }
  void TearDown() override {
    runner::reset_interrupted();
    std::filesystem::remove_all(dir_);
  }
  results::RunResults run() {
    options_ = quick(out_, backend_.partial);
    return runner::run_step(backend_, three_gemms(), options_, {}, std::nullopt);
  }
  nlohmann::json kept() const { return nlohmann::json::parse(read_text(backend_.partial)); }

  static constexpr const char* kEarlier =
      R"({"schema_version": 1, "status": "complete", "machine": {}, "kernels": [], "earlier": true})";
  std::string dir_, out_;
  WatchingBackend backend_;
  runner::StepRunOptions options_;
};

TEST_F(RerunOverACompleteFile, ARunThatEndsReplacesTheFileAndRemovesThePartialOne) {
  backend_.look_at = "c";
  const results::RunResults r = run();
  // While the run went on, the earlier file stood and the partial one held what was measured.
  EXPECT_EQ(backend_.out_seen, kEarlier);
  EXPECT_EQ(backend_.partial_status_seen, "partial");
  EXPECT_EQ(r.status, "complete");
  EXPECT_EQ(runner::final_results_path(options_, r), out_);
  EXPECT_EQ(nlohmann::json::parse(read_text(out_)).at("status"), "complete");
  EXPECT_EQ(nlohmann::json::parse(read_text(out_)).at("kernels").size(), 3u);
  EXPECT_FALSE(std::filesystem::exists(backend_.partial));
}

TEST_F(RerunOverACompleteFile, AnInterruptLeavesTheEarlierFileAndWritesBesideIt) {
  backend_.look_at = "b";
  backend_.interrupt = true;
  const results::RunResults r = run();
  EXPECT_EQ(r.status, "partial");
  EXPECT_EQ(runner::final_results_path(options_, r), backend_.partial);
  EXPECT_EQ(read_text(out_), kEarlier);
  EXPECT_EQ(kept().at("status"), "partial");
  ASSERT_EQ(kept().at("kernels").size(), 3u);
  EXPECT_EQ(kept().at("kernels")[0].at("status"), "ok");
  EXPECT_EQ(kept().at("kernels")[1].at("status"), "interrupted");
  EXPECT_EQ(kept().at("kernels")[2].at("status"), "skipped");
}

// A re-run whose kernel fails (or runs out of memory) ends partial: no reader takes a step from
// it, so it must not replace the earlier complete run either.
TEST_F(RerunOverACompleteFile, AFailedKernelLeavesTheEarlierFileAndWritesBesideIt) {
  backend_.fail_at = "b";
  const results::RunResults r = run();
  EXPECT_EQ(r.status, "partial");
  EXPECT_EQ(runner::final_results_path(options_, r), backend_.partial);
  EXPECT_EQ(read_text(out_), kEarlier);
  ASSERT_EQ(kept().at("kernels").size(), 3u);
  EXPECT_NE(kept().at("kernels")[1].at("status"), "ok");
  EXPECT_EQ(kept().at("kernels")[2].at("status"), "ok");  // the run goes on past a failed kernel
}

TEST(PartialResults, WithoutAPartialPathTheRunWritesItsFileInPlace) {
  const std::string dir = make_temp_dir("tb_partial_"), out = dir + "/r.json";
  runner::reset_interrupted();
  WatchingBackend backend;
  backend.out = out;
  backend.partial = results::partial_path_beside(out);
  backend.look_at = "b";
  backend.interrupt = true;
  const auto options = quick(out, "");
  const results::RunResults r = runner::run_step(backend, three_gemms(), options, {}, std::nullopt);
  runner::reset_interrupted();
  EXPECT_EQ(nlohmann::json::parse(backend.out_seen).at("status"), "partial");  // kernel a, written in place
  EXPECT_EQ(runner::final_results_path(options, r), out);
  EXPECT_EQ(nlohmann::json::parse(read_text(out)).at("kernels")[1].at("status"), "interrupted");
  EXPECT_FALSE(std::filesystem::exists(backend.partial));
  std::filesystem::remove_all(dir);
}

// A run that ended complete in keep.json, started at kStart, and the file found beside it.
class StalePartialBeside : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("tb_stale_");
    out_ = dir_ + "/keep.json";
    partial_ = dir_ + "/keep.partial.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static std::string run_file(const std::string& command, const std::string& status, const std::string& utc) {
    return nlohmann::json{{"schema_version", 1},
                          {"status", status},
                          {"machine", {{"utc_time", utc}}},
                          {"workload", {{"command", command}}},
                          {"kernels", nlohmann::json::array()}}
        .dump();
  }
  results::StalePartial clear() const { return results::clear_stale_partial(out_, kStart); }
  static constexpr const char* kStart = "2026-12-07T22:00:00Z";
  std::string dir_, out_, partial_;
};

TEST_F(StalePartialBeside, AnEarlierRunsPartialWritesAreRemoved) {
  for (const std::string& status : {"partial", "failed"}) {
    // A day before, and the same second (the lock rules out a run beside this one).
    for (const std::string& started : {"2026-12-06T23:59:59Z", "2026-12-07T22:00:00Z"}) {
      write_text(partial_, run_file("run", status, started));
      const results::StalePartial s = clear();
      EXPECT_TRUE(s.removed) << status << " " << started << ": " << s.note;
      EXPECT_FALSE(std::filesystem::exists(partial_));
      EXPECT_EQ(s.path, partial_);
      EXPECT_EQ(s.note, "removed " + partial_ + ": an earlier run's partial writes (status " + status + ", started " +
                            started + "), older than this complete run in " + out_);
    }
  }
}

TEST_F(StalePartialBeside, NothingThereIsNothingToSay) {
  const results::StalePartial s = clear();
  EXPECT_FALSE(s.removed);
  EXPECT_EQ(s.note, "");
}

// What cannot be shown to be an earlier run's partial writes stays, byte for byte, and the note says why.
TEST_F(StalePartialBeside, AnythingElseIsKeptSayingWhy) {
  struct Case {
    std::string text, why;
  };
  const std::vector<Case> cases = {
      {"my notes on last night's run\n", "not a trainbench results file"},
      {"", "not a trainbench results file"},
      {R"({"status": "partial", "machine": {"utc_time": "2026-12-06T00:00:00Z"}})", "not a trainbench results file"},
      {run_file("gemm", "partial", "2026-12-06T00:00:00Z"), "a results file of `gemm`"},
      {run_file("run", "complete", "2026-12-06T00:00:00Z"), "a complete run"},
      {run_file("run", "partial", "2026-12-07T22:00:01Z"), "started at 2026-12-07T22:00:01Z, after this one"},
      {run_file("run", "partial", "yesterday"), "cannot be compared"},
      {run_file("run", "partial", "2026-12-06T00:00:00+01:00"), "cannot be compared"},
  };
  for (const Case& c : cases) {
    write_text(partial_, c.text);
    const results::StalePartial s = clear();
    EXPECT_FALSE(s.removed) << c.text;
    EXPECT_EQ(read_text(partial_), c.text);
    EXPECT_EQ(s.note.rfind("kept " + partial_ + " beside " + out_ + ": ", 0), 0u) << s.note;
    EXPECT_NE(s.note.find(c.why), std::string::npos) << s.note;
  }
  std::filesystem::remove(partial_);
  std::filesystem::create_directory(partial_);
  EXPECT_FALSE(clear().removed);
  EXPECT_TRUE(std::filesystem::is_directory(partial_));
}

}  // namespace
}  // namespace tb
