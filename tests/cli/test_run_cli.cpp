// `trainbench run` end to end on the CPU backend: results file, schema, estimate from it,
// Ctrl-C keeping partial results, and bad results files refused.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "harness/results/results_io.hpp"
#include "harness/results/step_consistency.hpp"
#include "kernels/backend.hpp"
#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

// Small and quick: GPT-3 Small's widths at a short sequence, light timing.
const std::vector<std::string> kQuickRun = {"run", "--model", "gpt3-small", "--tp", "1", "--seq", "64",
                                            "--device", "cpu", "--min-time", "0", "--max-time", "0.3",
                                            "--min-samples", "3", "--quiet"};

class RunCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("tb_run_"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(RunCli, CpuRunWritesAValidResultsFileAndEstimatesFromIt) {
  const std::string out = dir_ + "/run.json";
  auto args = kQuickRun;
  args.insert(args.end(), {"--out", out});
  auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("qkv.fwd"), std::string::npos);
  EXPECT_NE(r.out.find("step time"), std::string::npos);
  EXPECT_NE(r.out.find("MFU"), std::string::npos);
  EXPECT_NE(r.out.find("at peak (the article)"), std::string::npos) << r.out;
  // The article's column keeps its figures, whole sites priced beside the fraction (GPT-3 Small's
  // 2.25e20 FLOP fill 0.005 of a 500P site in a day: one built, 3.02 billion CNY); the measured
  // column is no GPU site's: a CPU's rate sizes none.
  EXPECT_NE(r.out.find("; build 1 = 3.02 billion CNY"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("at measured: n/a (CPU)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("a CPU's rate sizes no GPU data center"), std::string::npos) << r.out;

  const results::RunResults res = results::read_results_file(out);  // validates the schema
  EXPECT_EQ(res.schema_version, 2);  // model FLOPs count attention unmasked (docs/results-schema.md)
  EXPECT_EQ(res.status, "complete");
  EXPECT_EQ(res.workload.model, "gpt3-small");
  EXPECT_EQ(res.machine.backend, "cpu");
  EXPECT_FALSE(res.machine.git_commit.empty());
  EXPECT_NE(res.machine.command_line.find("run"), std::string::npos);
  ASSERT_TRUE(res.step);
  EXPECT_GT(res.step->step_ms, 0);
  EXPECT_GT(res.step->tokens_per_s, 0);
  EXPECT_GT(res.step->mfu, 0);
  EXPECT_LT(res.step->mfu, 1);
  for (const auto& k : res.kernels) {
    EXPECT_EQ(k.status, "ok") << k.name << ": " << k.error;
    EXPECT_TRUE(k.verified) << k.name;
    EXPECT_GT(k.stats.samples, 0) << k.name;
  }
  // The CPU pseudo-SKU measures its memory bandwidth (STREAM triad), so the memory-bound kernels
  // (no FLOPs counted) get a % of peak too. Its size is this machine's: only > 0 is checked.
  EXPECT_EQ(res.machine.sku, "cpu-estimated");
  EXPECT_GT(res.machine.peak_memory_tb_s, 0);
  for (const auto& k : res.kernels)
    if (k.flops == 0) EXPECT_GT(k.pct_of_peak, 0) << k.name;
  const auto raw = nlohmann::json::parse(read_text(out));
  for (const char* key : {"schema_version", "machine", "kernels", "step"}) EXPECT_TRUE(raw.contains(key)) << key;
  for (const char* key : {"name", "flops", "bytes", "median_ms", "tflops", "samples", "rel_noise", "verified"})
    EXPECT_TRUE(raw["kernels"][0].contains(key)) << key;
  for (const char* key : {"step_ms", "tokens_per_s", "mfu"}) EXPECT_TRUE(raw["step"].contains(key)) << key;
  // The optimizer step: GPT-3 Small's batch of 256 sequences of 2048 tokens in micro-batches of
  // one 64-token sequence, dp 1: M = 256 x 2048 / 64 = 8192, said in one line with the flags that
  // change it; Adam's calls shown as "N/M".
  EXPECT_NE(r.out.find("once per M = 8192 micro-batches (gpt3-small's batch of 256 sequences x 2048 tokens / "
                       "(micro-batch 1 x seq 64 x dp 1))"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("--micro-batches M or --dp D changes it"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("8/M"), std::string::npos) << r.out;  // 125.2 M parameters in 8 chunks
  EXPECT_EQ(res.workload.micro_batches, 8192);
  EXPECT_EQ(res.workload.data_parallel, 1);

  // --dtype picks a SKU's peak to judge MFU by; the CPU's file has only its own estimated one.
  auto dtype = run_trainbench({"estimate", "--results", out, "--dtype", "bf16", "--gpus", "8"});
  EXPECT_EQ(dtype.exit_code, 2);
  EXPECT_NE(dtype.err.find("--dtype bf16: " + out + " has no SKU config (machine.sku 'cpu-estimated')"),
            std::string::npos)
      << dtype.err;
  // A CPU's throughput beside a GPU's datasheet (its memory, links, power) or a site built of
  // GPUs describes neither machine: refused, naming the flag and the CPU.
  for (const auto& [flag, value] : std::vector<std::pair<std::string, std::string>>{{"--gpu", "h100-sxm"},
                                                                                   {"--site", "h100-1024"}}) {
    auto mixed = run_trainbench({"estimate", "--results", out, flag, value, "--gpus", "64"});
    EXPECT_EQ(mixed.exit_code, 2) << mixed.out;
    EXPECT_NE(mixed.err.find(flag + " " + value), std::string::npos) << mixed.err;
    EXPECT_NE(mixed.err.find("measured on the CPU backend"), std::string::npos) << mixed.err;
    // The refusal is the one message: the sequence note (seq 64 of 2048) waits for checks to pass.
    EXPECT_EQ(mixed.err.find("note:"), std::string::npos) << mixed.err;
  }

  auto e = run_trainbench({"estimate", "--model", "gpt3-small", "--results", out, "--gpus", "8", "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto j = nlohmann::json::parse(e.out);
  EXPECT_NEAR(j["sustained_tflops_per_gpu"].get<double>(),
              res.step->model_flops / (res.step->step_ms * 1e-3) / 1e12, 1e-9);
  EXPECT_GT(j["wall_days"].get<double>(), 0);

  // Without --model the file's own model is extrapolated; another one is allowed, with a note.
  // A deadline is answered from the measured throughput as from an assumed one, in CPUs like this
  // one; a data center is built of GPUs, which a CPU's rate cannot size: refused, naming both flags.
  auto sited = run_trainbench({"estimate", "--results", out, "--days", "1", "--site", "500p"});
  EXPECT_EQ(sited.exit_code, 2) << sited.out;
  EXPECT_NE(sited.err.find("--site 500p is a data center of GPUs; --results " + out +
                           " was measured on the CPU backend"),
            std::string::npos)
      << sited.err;
  EXPECT_NE(sited.err.find("a CPU's rate sizes no GPU site"), std::string::npos) << sited.err;
  EXPECT_TRUE(sited.out.empty()) << sited.out;
  auto own = run_trainbench({"estimate", "--results", out, "--days", "30", "--json"});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  const auto oj = nlohmann::json::parse(own.out);
  EXPECT_EQ(oj["model"], "gpt3-small");
  // Its own model: no note that another model's kernels stand in, but one that the step was
  // measured at the CPU's short sequence, not the 2048 the model trains at.
  EXPECT_EQ(own.err.find("kernels; extrapolating"), std::string::npos) << own.err;
  EXPECT_NE(own.err.find("the step was measured at seq 64; gpt3-small trains at seq 2048"), std::string::npos)
      << own.err;
  auto days = run_trainbench({"estimate", "--results", out, "--days", "30"});
  ASSERT_EQ(days.exit_code, 0) << days.err;
  EXPECT_NE(days.out.find("CPUs (needed for the deadline)"), std::string::npos) << days.out;
  EXPECT_NE(days.out.find("TFLOP/s per CPU sustained"), std::string::npos) << days.out;
  EXPECT_NE(days.out.find("CPU-hours"), std::string::npos) << days.out;
  EXPECT_EQ(days.out.find("GPUs"), std::string::npos) << days.out;
  auto other = run_trainbench({"estimate", "--results", out, "--model", "gpt3-xl", "--gpus", "8"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(other.err.find("measured gpt3-small's kernels; extrapolating gpt3-xl"), std::string::npos) << other.err;
}

// With a GPU SKU (memory known), the run says whether its layout could train the model at all.
TEST_F(RunCli, RunAgainstAGpuSkuSaysWhetherTheLayoutHoldsTheModel) {
  auto args = kQuickRun;
  args.insert(args.end(), {"--out", dir_ + "/run.json", "--sku", "h100-sxm", "--no-estimate"});
  auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // A GPU's datasheet over the CPU backend is allowed (it tests the GPU paths) but never silent.
  EXPECT_NE(r.err.find("note: --sku h100-sxm: judging"), std::string::npos) << r.err;
  // GPT-3 Small: 125 M parameters x 16 B = 2 GB of state, a few MB of activations at seq 64.
  EXPECT_NE(r.out.find("Memory to train at tp 1 without pipelining"), std::string::npos) << r.out;
  // Judged against what an H100 exposes (its config's usable_gib), said beside the nominal 80.
  EXPECT_NE(r.out.find("GiB per GPU of 79.65 GiB usable of 80: fits"), std::string::npos) << r.out;
  // That throughput is an H100's: another SKU's memory, links and power beside it are refused.
  auto e = run_trainbench({"estimate", "--results", dir_ + "/run.json", "--gpu", "b200", "--gpus", "64"});
  EXPECT_EQ(e.exit_code, 2) << e.out;
  EXPECT_NE(e.err.find("--gpu b200"), std::string::npos) << e.err;
  EXPECT_NE(e.err.find("h100-sxm"), std::string::npos) << e.err;
  EXPECT_EQ(run_trainbench({"estimate", "--results", dir_ + "/run.json", "--gpu", "h100-sxm", "--gpus", "64"}).exit_code,
            0);
  // The layout search keeps to the tensor-parallel size the throughput was measured at (tp 1).
  auto searched = run_trainbench({"estimate", "--model", "gpt3-small", "--results", dir_ + "/run.json", "--gpus", "64",
                                  "--layout", "auto", "--json"});
  ASSERT_EQ(searched.exit_code, 0) << searched.err;
  const auto sj = nlohmann::json::parse(searched.out);
  EXPECT_EQ(sj["layout_search"]["tensor_sizes"], nlohmann::json::array({1}));
  EXPECT_EQ(sj["scaling"]["tp"], 1);
}

// A model from the user's own file is read back from that file: not from a built-in config that
// happens to share its name (here gpt3-small's shape under the name gpt1, whose own config has
// 116.5 M parameters against gpt3-small's 125.2 M), and refused, naming the file, once it is gone.
TEST_F(RunCli, AModelFromAFileIsReadBackFromThatFile) {
  const std::string model_file = dir_ + "/shadow.toml";
  {
    std::ifstream in(std::string(TB_SOURCE_DIR) + "/configs/models/gpt3-small.toml");
    std::stringstream text;
    text << in.rdbuf();
    std::string toml = text.str();
    const auto at = toml.find("name = \"gpt3-small\"");
    ASSERT_NE(at, std::string::npos);
    toml.replace(at, std::string("name = \"gpt3-small\"").size(), "name = \"gpt1\"");
    std::ofstream(model_file) << toml;
  }
  auto args = kQuickRun;
  args[2] = model_file;
  const std::string out = dir_ + "/run.json";
  args.insert(args.end(), {"--out", out, "--no-estimate"});
  auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto res = results::read_results_file(out);
  EXPECT_EQ(res.workload.model, "gpt1");
  EXPECT_EQ(res.workload.model_file, std::filesystem::absolute(model_file).lexically_normal().string());

  auto own = run_trainbench({"estimate", "--results", out, "--gpus", "8", "--json"});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  const double params = nlohmann::json::parse(own.out)["params"].get<double>();
  EXPECT_NEAR(params, 125.2e6, 0.1e6);  // gpt3-small's shape, not the built-in gpt1's 116.5 M
  auto same = run_trainbench({"compare", out, out});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(same.out.find("assumes its kernels run as fast"), std::string::npos) << same.out;
  // compare says, once, that the step was measured short of the model's context (64 of 2048).
  const std::string seq_note = "the step was measured at seq 64; gpt1 trains at seq 2048";
  ASSERT_NE(same.out.find(seq_note), std::string::npos) << same.out;
  EXPECT_EQ(same.out.find(seq_note, same.out.find(seq_note) + 1), std::string::npos) << same.out;

  std::filesystem::remove(model_file);
  auto gone = run_trainbench({"estimate", "--results", out, "--gpus", "8"});
  EXPECT_EQ(gone.exit_code, 2);
  EXPECT_NE(gone.err.find("from the model file " + std::filesystem::absolute(model_file).lexically_normal().string() +
                          ", which is no longer there"),
            std::string::npos)
      << gone.err;
  // A CPU run has no power figure: the site's PUE has nothing to weigh, and compare says so.
  auto pue = run_trainbench({"compare", out, out, "--model", "gpt3-small", "--pue", "1.3"});
  EXPECT_EQ(pue.exit_code, 0) << pue.err;
  EXPECT_NE(pue.out.find("no run has a power figure"), std::string::npos) << pue.out;
  // --model names another model outright: the file's own is not needed then.
  EXPECT_EQ(run_trainbench({"estimate", "--results", out, "--model", "gpt3-small", "--gpus", "8"}).exit_code, 0);
}

// Without --tp, a model that trains on one device is measured at tp 1 (a 12-head model used to
// be refused for the default --tp 8), and the header says why.
TEST_F(RunCli, DefaultTensorParallelSizeIsChosenAndExplained) {
  auto args = kQuickRun;
  args.erase(args.begin() + 3, args.begin() + 5);  // drop "--tp 1"
  ASSERT_EQ(args[3], "--seq");
  args[2] = "gpt2-small";  // 12 heads
  args.insert(args.end(), {"--out", dir_ + "/run.json", "--no-estimate"});
  auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("tp 1 (auto: trains on one device"), std::string::npos) << r.out;
}

// --budget bounds the whole run: at 2 s of sampling per kernel the 24 kernels would sample for 48 s
// or more; a 4 s budget shares out 4/24 s each. Judged on the time the run spent sampling (its
// samples x median), not on the wall clock, which a loaded machine stretches (seen: 26 s of wall
// time under a parallel build, 8 s without).
TEST_F(RunCli, BudgetBoundsTheWholeRun) {
  auto args = kQuickRun;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--min-time") args[i + 1] = "2";
    if (args[i] == "--max-time") args[i + 1] = "10";
  }
  args.insert(args.end(), {"--out", dir_ + "/run.json", "--no-estimate", "--noise", "0.0001%", "--budget", "4"});
  const auto start = std::chrono::steady_clock::now();
  auto r = run_trainbench(args);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_LT(took, 90.0);  // a hang guard only
  const results::RunResults res = results::read_results_file(dir_ + "/run.json");
  EXPECT_EQ(res.status, "complete");
  double sampled_s = 0;
  for (const auto& k : res.kernels) {
    EXPECT_GE(k.stats.samples, 1) << k.name;
    sampled_s += static_cast<double>(k.stats.samples) * k.stats.median_ms / 1e3;
  }
  EXPECT_LT(sampled_s, 12.0) << "without the budget: 48 s or more";
  EXPECT_EQ(run_trainbench({"run", "--budget", "-1"}).exit_code, 2);
}

// What runs once per optimizer step enters the step at 1/M: the file's step is the kernels' sum
// with Adam's calls over M = 4, and the readers' check agrees.
TEST_F(RunCli, TheOptimizerStepIsSharedOverTheMicroBatchesOfAnOptimizerStep) {
  const std::string out = dir_ + "/m4.json";
  auto args = kQuickRun;
  args.insert(args.end(), {"--out", out, "--no-estimate", "--micro-batches", "4"});
  auto r = run_trainbench(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("once per M = 4 micro-batches (--micro-batches)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("optimizer step (Adam): 1/4 of its"), std::string::npos) << r.out;
  const results::RunResults res = results::read_results_file(out);
  EXPECT_NO_THROW(results::require_consistent_results(res, out));
  EXPECT_EQ(res.workload.micro_batches, 4);
  double full_ms = 0, adam_ms = 0;
  for (const auto& k : res.kernels) {
    full_ms += static_cast<double>(k.calls_per_step) * k.stats.median_ms;
    EXPECT_EQ(k.per_optimizer_step, k.name == "adam") << k.name;
    if (k.name == "adam") adam_ms = static_cast<double>(k.calls_per_step) * k.stats.median_ms;
  }
  ASSERT_GT(adam_ms, 0);
  ASSERT_TRUE(res.step);
  EXPECT_NEAR(res.step->step_ms, full_ms - adam_ms * 3 / 4, 1e-9 * full_ms);
  // The same file with the Adam update charged in full to the micro-batch is at odds with its
  // kernels: every reader refuses it, naming the field.
  auto j = nlohmann::json::parse(read_text(out));
  j["step"]["step_ms"] = full_ms;
  write_text(dir_ + "/full.json", j.dump());
  const auto e = run_trainbench({"estimate", "--results", dir_ + "/full.json", "--gpus", "8"});
  EXPECT_EQ(e.exit_code, 2) << e.out;
  EXPECT_NE(e.err.find("step.step_ms"), std::string::npos) << e.err;
  EXPECT_NE(e.err.find("per_optimizer_step at 1/workload.micro_batches"), std::string::npos) << e.err;
}

TEST_F(RunCli, BadMicroBatchesOrDataParallelSizesAreRefusedNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--micro-batches", "0"}, "--micro-batches must be a positive integer (got 0)"},
      {{"--micro-batches", "-3"}, "--micro-batches must be a positive integer (got -3)"},
      {{"--dp", "0"}, "--dp must be a positive integer (got 0)"},
      {{"--dp", "-2"}, "--dp must be a positive integer (got -2)"},
      // Beyond any job: it overflowed micro-batch x seq x dp (SIGFPE, exit 136, no message).
      {{"--dp", "4611686018427387904"}, "--dp must be at most 1000000 data-parallel ranks (got 4611686018427387904)"},
      // GPT-3 175B's batch of 1536 sequences is no multiple of 5 micro-batches of 1 sequence.
      {{"--model", "gpt3-175b", "--seq", "2048", "--micro-batch", "5"},
       "--micro-batch 5 x --dp 1 = 5 sequences does not divide"},
      {{"--model", "mixtral-8x7b", "--ep", "4", "--dp", "6"}, "--dp 6 must be a multiple of --ep 4"},
      // run's own flag named, not estimate's --micro-batch-size, and a cap like --dp's.
      {{"--micro-batch", "0"}, "--micro-batch must be a positive integer (got 0)"},
      {{"--micro-batch", "99999999"}, "--micro-batch must be at most 1000000 sequences (got 99999999)"},
      {{"--micro-batches", "99999999999999"},
       "--micro-batches must be at most 1000000 micro-batches per optimizer step (got 99999999999999)"},
      {{"--micro-batches", "1000001"}, "--micro-batches must be at most 1000000 micro-batches per optimizer step"},
      // Not "must be >= 0" for a number that is >= 0: what is wrong with it.
      {{"--budget", "inf"}, "--budget must be a finite number of seconds >= 0 (0: no budget) (got inf)"},
      {{"--budget", "nan"}, "--budget must be a finite number of seconds >= 0 (0: no budget) (got nan)"},
      {{"--budget", "-1"}, "--budget must be a finite number of seconds >= 0 (0: no budget) (got -1)"},
  };
  for (const auto& [extra, message] : cases) {
    std::vector<std::string> args = {"run", "--device", "cpu", "--no-estimate", "--quiet", "--out", dir_ + "/bad.json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << extra.front() << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("--micro-batch-size"), std::string::npos) << r.err;  // estimate's flag, not run's
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/bad.json"));
  }
}

TEST_F(RunCli, SigintKeepsWhatWasMeasured) {
  const std::string out = dir_ + "/interrupted.json";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::freopen("/dev/null", "w", stdout);
    ::freopen("/dev/null", "w", stderr);
    // A long run (GPT-3 175B widths) so the signal lands mid-way.
    const std::string binary = trainbench_binary();
    execl(binary.c_str(), binary.c_str(), "run", "--model", "gpt3-175b", "--device", "cpu", "--seq", "128", "--min-time",
          "0.5", "--out", out.c_str(), "--quiet", static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for the first kernel's partial results, then interrupt.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!std::filesystem::exists(out) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(std::filesystem::exists(out)) << "no partial results written";
  // Twice at once, as coreutils `timeout` delivers it (to the child, then to its process group):
  // one interrupt, not the user insisting, so the run still ends cleanly.
  ::kill(pid, SIGINT);
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const results::RunResults res = results::read_results_file(out);
  EXPECT_EQ(res.status, "partial");
  ASSERT_GE(res.kernels.size(), 1u);
  EXPECT_EQ(res.kernels.front().status, "ok");
  // Every kernel of the step is in the file: measured ones ok, the one interrupted, the ones never
  // started skipped, naming where the run stopped: GPT-3 175B's 23 kernels and the Adam update.
  ASSERT_EQ(res.kernels.size(), 24u);
  size_t ok = 0, interrupted = 0, skipped = 0;
  std::string stopped_at;
  for (const auto& k : res.kernels) {
    if (k.status == "ok") ++ok;
    if (k.status == "interrupted") ++interrupted, stopped_at = k.name;
    if (k.status == "skipped") {
      ++skipped;
      EXPECT_NE(k.error.find("interrupted at " + stopped_at), std::string::npos) << k.error;
    }
  }
  EXPECT_EQ(interrupted, 1u);
  EXPECT_EQ(ok + interrupted + skipped, 24u);
  EXPECT_LT(ok, 24u);
  // An estimate refuses a partial run rather than extrapolating from half a step.
  auto e = run_trainbench({"estimate", "--results", out});
  EXPECT_EQ(e.exit_code, 2);
  EXPECT_NE(e.err.find("partial"), std::string::npos) << e.err;
}

// A re-run over an --out that holds a complete run, stopped a moment in (Ctrl-C, or a batch
// scheduler's SIGTERM): the earlier file stays byte for byte, what was measured goes beside it,
// and the exit code is 128 + the signal, its lock file gone. A re-run that ends replaces the file
// and leaves no partial one behind.
TEST_F(RunCli, InterruptedReRunKeepsTheEarlierCompleteFile) {
  const std::string keep = dir_ + "/keep.json", partial = dir_ + "/keep.partial.json";
  auto args = kQuickRun;
  args.insert(args.end(), {"--out", keep, "--no-estimate"});
  ASSERT_EQ(run_trainbench(args).exit_code, 0);
  const std::string earlier = read_text(keep);
  ASSERT_EQ(nlohmann::json::parse(earlier).at("status"), "complete");

  const std::string mark = dir_ + "/sampling", script = dir_ + "/interrupt_after_mark.sh";
  for (const auto& [signal_name, exit_code] : {std::pair<std::string, int>{"INT", 130}, {"TERM", 143}}) {
    std::filesystem::remove(mark);
    write_text(script, "\"$@\" & pid=$!\n"
                       "for i in $(seq 600); do [ -e \"$TRAINBENCH_TEST_SAMPLING_MARK\" ] && break; sleep 0.1; done\n"
                       "sleep 0.2; kill -" + signal_name + " $pid; wait $pid\n");
    // Each kernel would sample for 60 s: the signal lands in the first.
    const auto r = run_trainbench({"run", "--model", "gpt3-small", "--tp", "1", "--seq", "64", "--device", "cpu",
                                   "--min-time", "60", "--max-time", "60", "--budget", "0", "--quiet",
                                   "--no-estimate", "--out", keep},
                                  "TRAINBENCH_TEST_SAMPLING_MARK=" + mark + " bash " + script);
    EXPECT_EQ(r.exit_code, exit_code) << signal_name << ": " << r.out << r.err;
    EXPECT_EQ(read_text(keep), earlier) << signal_name << ": the earlier complete run was replaced";
    ASSERT_TRUE(std::filesystem::exists(partial)) << signal_name << ": " << r.err;
    const auto j = nlohmann::json::parse(read_text(partial));
    EXPECT_NE(j.at("status"), "complete");
    EXPECT_EQ(j.at("kernels").at(0).at("status"), "interrupted") << j.at("kernels").at(0).dump();
    EXPECT_NE(r.err.find("in " + partial + " (" + keep + " still holds the earlier complete run"), std::string::npos)
        << r.err;
    EXPECT_NE(r.out.find("results: " + partial), std::string::npos) << r.out;
    // The run's lock went with its end (test_run_out_file_cli.cpp: a second run while it is held).
    EXPECT_FALSE(std::filesystem::exists(keep + ".lock")) << signal_name << ": the lock file was left behind";
  }

  // A re-run that ends replaces the earlier file atomically and removes the partial one.
  const auto again = run_trainbench(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_FALSE(std::filesystem::exists(partial));
  const auto replaced = nlohmann::json::parse(read_text(keep));
  EXPECT_EQ(replaced.at("status"), "complete");
  EXPECT_NE(replaced.dump(), nlohmann::json::parse(earlier).dump());  // this run's samples and time
}

// An --out that holds no complete run (here an earlier interrupted one) is rewritten in place as
// the run goes, as before: nothing there to lose, and no second file to look for.
TEST_F(RunCli, InterruptedRunOverAPartialFileWritesInPlace) {
  const std::string out = dir_ + "/r.json";
  const std::string mark = dir_ + "/sampling", script = dir_ + "/interrupt_after_mark.sh";
  write_text(script, "\"$@\" & pid=$!\n"
                     "for i in $(seq 600); do [ -e \"$TRAINBENCH_TEST_SAMPLING_MARK\" ] && break; sleep 0.1; done\n"
                     "sleep 0.2; kill -INT $pid; wait $pid\n");
  const std::vector<std::string> args = {"run", "--model", "gpt3-small", "--tp", "1", "--seq", "64", "--device",
                                         "cpu", "--min-time", "60", "--max-time", "60", "--budget", "0", "--quiet",
                                         "--no-estimate", "--out", out};
  for (int i = 0; i < 2; ++i) {
    std::filesystem::remove(mark);
    const auto r = run_trainbench(args, "TRAINBENCH_TEST_SAMPLING_MARK=" + mark + " bash " + script);
    EXPECT_EQ(r.exit_code, 130) << r.err;
    EXPECT_NE(nlohmann::json::parse(read_text(out)).at("status"), "complete");
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/r.partial.json"));
  }
}

TEST_F(RunCli, BadResultsFilesAreRefusedClearly) {
  const std::string good = dir_ + "/good.json";
  auto args = kQuickRun;
  args.insert(args.end(), {"--out", good, "--no-estimate"});
  ASSERT_EQ(run_trainbench(args).exit_code, 0);
  const std::string text = read_text(good);

  struct Case {
    std::string name, contents, must_mention;
  };
  auto wrong_version = nlohmann::json::parse(text);
  wrong_version["schema_version"] = 99;
  auto missing_field = nlohmann::json::parse(text);
  missing_field["kernels"][0].erase("median_ms");
  auto bad_index = nlohmann::json::parse(text);
  bad_index["machine"]["device_index"] = "three";
  auto bad_power = nlohmann::json::parse(text);
  bad_power["kernels"][0]["clocks"] = {{"sm_clock_mhz_min", 1}, {"sm_clock_mhz_max", 2}, {"power_w_mean", "hot"}};
  // Values no measurement produces: refused when read, naming the field, never turned into inf
  // or a negative estimate (or a message about a flag the user never gave).
  auto with = [&](const std::string& path, const nlohmann::json& value) {
    auto j = nlohmann::json::parse(text);
    j[nlohmann::json::json_pointer(path)] = value;
    return j.dump();
  };
  std::string overflowing = text;
  overflowing.replace(overflowing.find("\"median_ms\": ") + 13, 0, "1e999, \"x\": ");
  const Case cases[] = {
      {"empty.json", "", "empty"},
      {"overflow.json", overflowing, "number too large"},
      {"negmedian.json", with("/kernels/0/median_ms", -1), "kernels[0].median_ms"},
      {"negtflops.json", with("/kernels/0/tflops", -1), "kernels[0].tflops"},
      {"negflops.json", with("/kernels/0/flops", -5), "kernels[0].flops"},
      {"negsamples.json", with("/kernels/0/samples", -2), "kernels[0].samples"},
      {"step0.json", with("/step/step_ms", 0), "step.step_ms"},
      {"steptiny.json", with("/step/step_ms", 1e-300), "step.step_ms"},
      {"truncated.json", text.substr(0, text.size() / 2), "truncated or corrupted"},
      {"corrupted.json", "{\"schema_version\": 1, \"status\": [}", "truncated or corrupted"},
      {"version.json", wrong_version.dump(), "schema_version 99"},
      {"field.json", missing_field.dump(), "kernels[0].median_ms"},
      {"index.json", bad_index.dump(), "machine.device_index"},
      {"power.json", bad_power.dump(), "power_w_mean"},
      {"notobject.json", "[1, 2, 3]", "not a trainbench results file"},
      // A step at odds with itself: an MFU no step could reach, or one its own FLOPs and time deny.
      {"mfu3.json", with("/step/mfu", 3.0), "step.mfu 3 is above 1"},
      {"mfuedit.json", with("/step/mfu", 1e-6), "step.mfu 1e-06 is not step.model_flops / step time"},
      {"stepedit.json", with("/step/step_ms", 123456.0), "step.step_ms 123456 is not the sum"},
  };
  for (const auto& c : cases) {
    const std::string path = dir_ + "/" + c.name;
    write_text(path, c.contents);
    auto r = run_trainbench({"estimate", "--results", path});
    EXPECT_EQ(r.exit_code, 2) << c.name;
    EXPECT_NE(r.err.find(c.name), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.must_mention), std::string::npos) << c.name << ": " << r.err;
  }
  auto missing = run_trainbench({"estimate", "--results", dir_ + "/absent.json"});
  EXPECT_EQ(missing.exit_code, 2);
  // A directory or a device is not "empty": say what it is.
  auto dir = run_trainbench({"estimate", "--results", dir_});
  EXPECT_EQ(dir.exit_code, 2);
  EXPECT_NE(dir.err.find("is a directory"), std::string::npos) << dir.err;
  auto dev = run_trainbench({"estimate", "--results", "/dev/null"});
  EXPECT_EQ(dev.exit_code, 2);
  EXPECT_NE(dev.err.find("not a regular file"), std::string::npos) << dev.err;
}

// A mixture-of-experts model: the router, the routed experts (each with the tokens the e ranks
// route to it; a layer's local experts as one grouped GEMM) and the shared expert are kernels of
// their own; the results record e; the estimate
// from them counts the active parameters.
TEST_F(RunCli, MixtureOfExpertsRunMeasuresExpertGemmsAtTheExpertSplit) {
  const std::string model = dir_ + "/tiny-moe.toml";
  {
    std::ofstream f(model);
    f << "name = \"tiny-moe\"\nsource = \"test\"\n[architecture]\nlayers = 2\nhidden = 128\nheads = 4\n"
         "ffn_hidden = 256\nvocab = 512\nseq_len = 64\nmlp = \"swiglu\"\nnorm = \"rmsnorm\"\n"
         "position = \"rope\"\nbiases = false\ntied_embeddings = false\n[moe]\nexperts = 8\n"
         "experts_per_token = 2\nexpert_ffn_hidden = 128\nshared_experts = 1\n[training]\ntokens = 1e9\n";
  }
  const std::string out = dir_ + "/moe.json";
  // Against an H100's datasheet (--sku), so that the layout search below has its memory.
  auto r = run_trainbench({"run", "--model", model, "--ep", "4", "--device", "cpu", "--min-time", "0", "--max-time",
                           "0.2", "--min-samples", "3", "--quiet", "--sku", "h100-sxm", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ep 4 (2 of 8 experts here, 64 tokens each)"), std::string::npos) << r.out;
  const results::RunResults res = results::read_results_file(out);
  EXPECT_EQ(res.workload.expert_parallel, 4);
  bool expert = false, router = false, shared = false;
  for (const auto& k : res.kernels) {
    EXPECT_EQ(k.status, "ok") << k.name;
    if (k.name == "expert_up.fwd") {
      expert = true;
      // The 2 local experts as one grouped GEMM, once in each of 2 layers: 64 rows x 2·128 x 128.
      EXPECT_EQ(k.calls_per_step, 2);
      EXPECT_EQ(results::gemm_batch(k), 2);
      EXPECT_EQ(k.shape, "2x 64x256x128 fwd");
      EXPECT_TRUE(k.verified);
    }
    router |= k.name == "router.fwd";
    shared |= k.name == "shared_up.fwd";
  }
  EXPECT_TRUE(expert && router && shared);
  auto e = run_trainbench({"estimate", "--model", model, "--results", out, "--gpus", "8"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("active per token: 2 of 8 experts + 1 shared"), std::string::npos) << e.out;
  // The search keeps the e the expert GEMMs were measured at, as it keeps the t.
  e = run_trainbench({"estimate", "--model", model, "--results", out, "--gpus", "64", "--global-batch", "64",
                      "--layout", "auto"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("ep 4 (where the throughput was measured)"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("--ep 4"), std::string::npos) << e.out;
}

TEST_F(RunCli, BadFlagsExit2) {
  EXPECT_EQ(run_trainbench({"run", "--model", "gpt3-175b", "--tp", "7", "--device", "cpu"}).exit_code, 2);
  EXPECT_EQ(run_trainbench({"run", "--impl", "magic", "--device", "cpu"}).exit_code, 2);
  EXPECT_EQ(run_trainbench({"run", "--dtype", "int4", "--device", "cpu"}).exit_code, 2);
  EXPECT_EQ(run_trainbench({"run", "--device", "tpu"}).exit_code, 2);
  // Each refusal names the flag (or lists the accepted names) before anything is measured.
  const std::pair<std::vector<std::string>, std::string> named[] = {
      {{"run", "--device", "cpu", "--site", "900p"}, "500p"},
      {{"run", "--device", "cpu", "--tokens", "lots"}, "--tokens"},
      {{"run", "--device", "cpu", "--candidates", "0"}, "--candidates"},
      {{"run", "--device", "cpu", "--seq", "-5"}, "--seq"},
      {{"run", "--device", "cpu", "--micro-batch", "0"}, "--micro-batch"},
      {{"run", "--device", "cpu", "--noise", "-1%"}, "--noise"},
      {{"run", "--device", "cpu", "--model", "gpt9"}, "gpt3-175b"},
      // What the CPU backend cannot run is refused up front, not as rows after minutes of work.
      {{"run", "--device", "cpu", "--impl", "wgmma"}, "--impl wgmma"},
      {{"run", "--device", "cpu", "--dtype", "fp8"}, "--dtype fp8"},
      {{"run", "--device", "cpu", "--no-estimate", "--tokens", "abc"}, "--no-estimate"},
      {{"run", "--device", "cpu", "--no-estimate", "--site", "500p"}, "--no-estimate"},
      {{"run", "--device", "cpu", "--model", "gpt3-small", "--ep", "2"}, "--ep 2"},  // no experts
      {{"run", "--device", "cpu", "--model", "mixtral-8x7b", "--ep", "3"}, "--ep 3 must divide"},
      {{"run", "--device", "cpu", "--model", "mixtral-8x7b", "--ep", "0"}, "--ep"},
      // The results file is checked before minutes of measuring, not after them.
      {{"run", "--device", "cpu", "--out", "/tmp"}, "--out: /tmp: is a directory"},
      {{"run", "--device", "cpu", "--out", "/proc/tb.json"}, "not writable"},
      {{"run", "--device", "cpu", "--seq", "0"}, "--seq"},
      // A site of GPUs priced at a CPU's rate, and a step whose other kernels cannot store fp64.
      {{"run", "--device", "cpu", "--site", "h100-1024"}, "--site h100-1024 is built of h100-sxm GPUs"},
      {{"run", "--device", "cpu", "--dtype", "fp64"}, "a step on the CPU backend runs fp32"},
      {{"run", "--device", "cpu", "--dtype", "tf32"}, "accepted values here: fp32"},
      {{"run", "--device", "cpu", "--candidates", "4"}, "--candidates 4: it times cuBLASLt's"},
  };
  for (const auto& [args, needle] : named) {
    auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  }
}

TEST_F(RunCli, CudaWithoutAGpuIsARuntimeErrorSayingWhy) {
  std::string why;
  if (kernels::cuda_device_available(&why)) GTEST_SKIP() << "a GPU is present; this checks the no-GPU path";
  auto r = run_trainbench({"run", "--device", "cuda", "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no usable GPU"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tb::testing
