// `trainbench compare / export / report` as a user runs them, on SYNTHETIC results files:
// exit 0 / 1 (regression) / 2 (bad input, with a message naming the file and the problem).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>
#include <tuple>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "harness/results/results_io.hpp"
#include "tests/report/synthetic_results.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/results_dir_test.hpp"

using tb::testing::run_trainbench;
using tb::testing::SyntheticRunSpec;

namespace {

class CompareCli : public tb::testing::ResultsDirTest {
 protected:
  CompareCli() : ResultsDirTest("tb_compare_cli_") {}
  // `compare A B extra...`, or `report A B -o DIR/r.html extra...`: the flags both take.
  std::vector<std::string> two_runs(const std::string& cmd, const std::string& a, const std::string& b,
                                    const std::vector<std::string>& extra) const {
    std::vector<std::string> v = {cmd, a, b};
    if (cmd == "report") v.insert(v.end(), {"-o", dir_ + "/r.html"});
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  }
  std::string write_text(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    tb::testing::write_text(path, text);
    return path;
  }
  std::string base() { return write("base.json", tb::testing::synthetic_run({})); }
  // A stand-in for Chart.js's UMD build, so that report runs without libjs-chart.js.
  std::string fake_chartjs() {
    return write_text("chart.umd.js", "(function(g,f){typeof exports;define.amd;g.Chart=f()})(this,"
                                      "function(){return function(){}})");
  }
};

// Every bad file is exit 2 with its path and the problem in the message.
void expect_usage_error(const tb::testing::CliResult& r, const std::string& path, const std::string& problem) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(problem), std::string::npos) << r.err;
}

}  // namespace

TEST_F(CompareCli, RegressionExitsOneNamingTheKernelAndWritesJUnit) {
  SyntheticRunSpec cur;
  cur.seed = 4;
  cur.slow_kernel = "attention.fwd";
  cur.slowdown = 0.25;
  const std::string junit = dir_ + "/junit.xml";
  const auto r = run_trainbench({"compare", "--baseline", base(), write("cur.json", tb::testing::synthetic_run(cur)),
                                 "--threshold", "3%", "--junit", junit});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("REGRESSION: 1 of"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("attention.fwd"), std::string::npos);
  EXPECT_NE(r.out.find("% slower"), std::string::npos);
  const std::string xml = tb::testing::read_text(junit);
  EXPECT_NE(xml.find("<failure message=\"attention.fwd"), std::string::npos) << xml;
}

TEST_F(CompareCli, NoRegressionExitsZeroAndMarkdownWorks) {
  SyntheticRunSpec cur;
  cur.seed = 8;
  const auto r = run_trainbench({"compare", "--baseline", base(), write("cur.json", tb::testing::synthetic_run(cur)),
                                 "--format", "markdown"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("| kernel | baseline ms |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("No regression"), std::string::npos);
}

TEST_F(CompareCli, SideBySideShowsBothDevicesAndTheExtrapolation) {
  SyntheticRunSpec h200;
  h200.sku = "h200";
  h200.device_name = "NVIDIA H200 (synthetic test data)";
  const auto r = run_trainbench({"compare", base(), write("h200.json", tb::testing::synthetic_run(h200)), "--gpus", "2048"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("NVIDIA H100 80GB HBM3 (synthetic test data) (base.json)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NVIDIA H200"), std::string::npos);
  EXPECT_NE(r.out.find("training gpt3-175b"), std::string::npos);
  EXPECT_NE(r.out.find("2048"), std::string::npos);
  // A memory-bound kernel's rate is its bandwidth, not "0" TFLOP/s; GPU-hours are whole numbers
  // with separators, so two runs a few percent apart do not both read "130.1 K".
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n(layernorm|norm)[^\n]* [0-9.]+ GB/s)"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\nGPU-hours +[0-9]{1,3}(,[0-9]{3})+ +[0-9]{1,3}(,[0-9]{3})+)")))
      << r.out;
}

// A run whose GPU count cannot hold the model is no answer: left out of the winners, said why.
TEST_F(CompareCli, RunsThatCannotHoldTheModelAreNotCrowned) {
  SyntheticRunSpec h200;
  h200.sku = "h200";
  const std::string b = write("h200.json", tb::testing::synthetic_run(h200));
  // GPT-3 175B's training state is 2.79 TB: 24 x 80 GiB cannot hold it, 24 x 141 GB can.
  const auto r = run_trainbench({"compare", base(), b, "--gpus", "24"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("A: no answer to buy: 24 GPUs cannot hold it"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fewest GPU-hours: B"), std::string::npos) << r.out;
  // --json says it in the run's extrapolation, as estimate's skus[] does; null for the usable run.
  const auto j = nlohmann::json::parse(run_trainbench({"compare", base(), b, "--gpus", "24", "--json"}).out);
  EXPECT_EQ(j["runs"][0]["extrapolation"]["unusable"].get<std::string>().rfind("24 GPUs cannot hold it", 0), 0u)
      << j["runs"][0].dump();
  EXPECT_TRUE(j["runs"][1]["extrapolation"]["unusable"].is_null()) << j["runs"][1].dump();
  EXPECT_EQ(j["best"]["gpu_hours"], 1);
}

// An fp8 step's MFU is against the bf16 peak (machine.peak_dtype); estimate --results keeps to it
// unless --dtype asks for another peak.
TEST_F(CompareCli, EstimateFromAnFp8StepUsesItsPeakDtype) {
  auto run = tb::testing::synthetic_run({});
  run.workload.dtype = "fp8";
  run.machine.peak_dtype = "bf16";
  const std::string f = write("fp8.json", run);
  const auto same = run_trainbench({"estimate", "--results", f, "--gpus", "1024", "--json"});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  const double mfu = nlohmann::json::parse(same.out)["mfu"].get<double>();
  EXPECT_NEAR(mfu, run.step->mfu, 1e-3 * run.step->mfu);
  // compare names the peak its MFU refers to.
  const auto side = run_trainbench({"compare", f, write("fp8-b.json", run)});
  ASSERT_EQ(side.exit_code, 0) << side.err;
  EXPECT_NE(side.out.find("peak 989 TFLOP/s bf16"), std::string::npos) << side.out;
  const auto fp8 = run_trainbench({"estimate", "--results", f, "--gpus", "1024", "--dtype", "fp8", "--json"});
  ASSERT_EQ(fp8.exit_code, 0) << fp8.err;
  EXPECT_NEAR(nlohmann::json::parse(fp8.out)["mfu"].get<double>(), mfu * 989.0 / 1979.0, 1e-9);
}

// An fp8 step's MFU is against the bf16 peak, so it may pass 1 (docs/perf/mfu.md): every reader
// takes it, up to the SKU's fp8/bf16 peak ratio (h100-sxm: 1979 / 989 = 2.00101), and refuses one
// above that alike. The synthetic GEMMs run at 1.6x, then 3x, the bf16 peak.
TEST_F(CompareCli, AnFp8StepAboveTheBf16PeakIsReadUpToTheFp8Ratio) {
  const std::string chartjs = fake_chartjs();
  auto fp8_run = [](double compute_efficiency) {
    SyntheticRunSpec spec;
    spec.compute_efficiency = compute_efficiency;
    auto run = tb::testing::synthetic_run(spec);
    run.workload.dtype = "fp8";
    run.machine.peak_dtype = "bf16";
    return run;
  };
  auto readers = [&](const std::string& a, const std::string& b) {
    return std::vector<std::vector<std::string>>{{"estimate", "--results", a, "--gpus", "1024"},
                                                 {"compare", a, b},
                                                 {"compare", "--baseline", a, b},
                                                 {"report", a, b, "-o", dir_ + "/r.html", "--chartjs", chartjs},
                                                 {"export", a}};
  };
  const auto fast = fp8_run(1.6);
  ASSERT_GT(fast.step->mfu, 1.0);
  ASSERT_LT(fast.step->mfu, 1979.0 / 989.0);
  auto fast_again = fast;  // another run with the same timings: the gate refuses a run against itself
  fast_again.machine.utc_time = "2026-01-02T00:00:00Z";
  const std::string a = write("fp8-a.json", fast), b = write("fp8-b.json", fast_again);
  for (const auto& args : readers(a, b)) {
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << " " << args[1] << ": " << r.err;
  }
  const auto impossible = fp8_run(3.5);
  ASSERT_GT(impossible.step->mfu, 1979.0 / 989.0);
  const std::string c = write("fp8-c.json", impossible), d = write("fp8-d.json", impossible);
  for (const auto& args : readers(c, d))  // the gate may read either side first: both are refused
    expect_usage_error(run_trainbench(args), "/fp8-", ": 2.00101, the fp8/bf16 peak ratio of h100-sxm");
  // The same MFU in a bf16 step is above its bound of 1 (both bounds times the step's model /
  // executed FLOPs: its causal attention is counted unmasked in MFU, halved in its kernels).
  auto bf16 = fast;
  bf16.workload.dtype = "bf16";
  expect_usage_error(run_trainbench({"compare", write("bf16.json", bf16), b}), "bf16.json",
                     ": 1: the step cannot run faster than the peak");
  expect_usage_error(run_trainbench({"compare", write("bf16.json", bf16), b}), "bf16.json",
                     "times the step's model / executed FLOPs");
}

// export runs the checks every other reader runs (results::require_consistent_results): a step
// time halved by hand is refused by each with the same message.
TEST_F(CompareCli, EveryReaderRefusesAnEditedFileWithTheSameMessage) {
  const std::string chartjs = fake_chartjs();
  auto j = tb::results::to_json(tb::testing::synthetic_run({}));
  j["step"]["step_ms"] = j["step"]["step_ms"].get<double>() / 2;
  const std::string edited = write_text("halved.json", j.dump());
  const std::string good = base();
  const auto report = run_trainbench({"report", edited, "-o", dir_ + "/r.html", "--chartjs", chartjs});
  expect_usage_error(report, "halved.json", "step.step_ms");
  const std::string message = report.err;
  ASSERT_NE(message.find("is not the sum of calls_per_step x median_ms"), std::string::npos) << message;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"export", edited}, {"export", "--format", "gbench", edited, "-o", dir_ + "/g.json"},
        {"compare", good, edited}, {"estimate", "--results", edited, "--gpus", "1024"}}) {
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.out << r.err;
    EXPECT_EQ(r.err, message) << args[0];
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/g.json"));
  // A kernel's median its samples do not have: export refuses it as compare does.
  auto m = tb::results::to_json(tb::testing::synthetic_run({}));
  for (auto& v : m["kernels"][0]["samples_ms"]) v = v.get<double>() * 2;
  const std::string moved = write_text("moved.json", m.dump());
  const auto by_compare = run_trainbench({"compare", good, moved});
  expect_usage_error(by_compare, "moved.json", "kernels[0]");
  EXPECT_NE(by_compare.err.find("is not the median of its samples_ms"), std::string::npos) << by_compare.err;
  EXPECT_EQ(run_trainbench({"export", moved}).err, by_compare.err);
}

// The reviewer's edits: qkv.fwd's tflops set to 5 and pct_of_peak to 99 beside its unchanged
// median, or its flops to 1e15, were printed by compare and published by export. Every reader now
// refuses each, naming the file, the kernel, the field and both values.
TEST_F(CompareCli, EveryReaderRefusesAKernelsEditedRates) {
  const std::string chartjs = fake_chartjs();
  const std::string good = base();
  auto edit = [&](const std::string& name, const std::string& field, double value) {
    auto j = tb::results::to_json(tb::testing::synthetic_run({}));
    j["kernels"][0][field] = value;
    return write_text(name, j.dump());
  };
  const std::string kernel0 = tb::testing::synthetic_run({}).kernels.at(0).name;
  const std::vector<std::tuple<std::string, std::string, double, std::string>> edits = {
      {"tflops5.json", "tflops", 5.0, "tflops 5 is not flops / median_ms"},
      {"pct99.json", "pct_of_peak", 99.0, "pct_of_peak 99 is not"},
      {"flops1e15.json", "flops", 1e15, "is not"}};
  for (const auto& [name, field, value, says] : edits) {
    const std::string edited = edit(name, field, value);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"compare", good, edited},
          {"export", edited},
          {"report", edited, "-o", dir_ + "/r.html", "--chartjs", chartjs},
          {"estimate", "--results", edited, "--gpus", "1024"}}) {
      const auto r = run_trainbench(args);
      expect_usage_error(r, name, "kernels[0] (" + kernel0 + "): ");
      EXPECT_NE(r.err.find(says), std::string::npos) << args[0] << ": " << r.err;
    }
  }
}

// tokens_per_s is per GPU, as `run` writes it: micro_batch x seq_len / step time / tp. The synthetic
// fixture computes it so (tp 8), and a file whose tokens_per_s was multiplied by 8 (the whole
// micro-batch per GPU) is refused by every reader alike.
TEST_F(CompareCli, EveryReaderRefusesTokensPerSecondNotPerGpu) {
  const auto run = tb::testing::synthetic_run({});
  ASSERT_EQ(run.workload.tensor_parallel, 8);
  const double expected = static_cast<double>(run.workload.micro_batch * run.workload.seq_len) /
                          (run.step->step_ms * 1e-3) / 8.0;
  EXPECT_NEAR(run.step->tokens_per_s, expected, expected * 1e-12);
  const std::string chartjs = fake_chartjs();
  auto j = tb::results::to_json(run);
  j["step"]["tokens_per_s"] = j["step"]["tokens_per_s"].get<double>() * 8;
  const std::string edited = write_text("times8.json", j.dump());
  const std::string good = base();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"estimate", "--results", edited, "--gpus", "1024"},
        {"compare", good, edited},
        {"report", edited, "-o", dir_ + "/r.html", "--chartjs", chartjs},
        {"export", edited}}) {
    const auto r = run_trainbench(args);
    expect_usage_error(r, "times8.json", "step.tokens_per_s");
    EXPECT_NE(r.err.find(fmt::format("({:.6g})", expected)), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("the file was edited or written wrongly"), std::string::npos) << r.err;
  }
}

// --tokens replaces the model's published count in every run's extrapolation (a model that
// publishes none, like Mixtral, needs it); in regression mode it is refused as ignored.
TEST_F(CompareCli, TokensScaleTheExtrapolation) {
  SyntheticRunSpec h200;
  h200.sku = "h200";
  const std::string a = base(), b = write("h200.json", tb::testing::synthetic_run(h200));
  const auto published = run_trainbench({"compare", a, b});
  const auto doubled = run_trainbench({"compare", a, b, "--tokens", "600B"});
  ASSERT_EQ(published.exit_code, 0) << published.err;
  ASSERT_EQ(doubled.exit_code, 0) << doubled.err;
  // GPT-3 175B: 3637.6 PF-days at its 300B tokens (6*N*D, as estimate prints it), twice that at 600B.
  EXPECT_NE(published.out.find("3637.6"), std::string::npos) << published.out;
  EXPECT_NE(doubled.out.find("7275.2"), std::string::npos) << doubled.out;
  const auto bad = run_trainbench({"compare", a, b, "--tokens", "-1"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--tokens"), std::string::npos) << bad.err;
  const auto gate = run_trainbench({"compare", "--baseline", a, b, "--tokens", "1T"});
  EXPECT_EQ(gate.exit_code, 2);
  EXPECT_NE(gate.err.find("--tokens"), std::string::npos) << gate.err;
  // The gate has no energy to weigh: the site's figures are refused there too.
  const auto pue = run_trainbench({"compare", "--baseline", a, b, "--pue", "1.3"});
  EXPECT_EQ(pue.exit_code, 2);
  EXPECT_NE(pue.err.find("--pue"), std::string::npos) << pue.err;
  // A deadline sizes the GPUs: a fixed count beside it is refused, in compare and in report.
  for (const char* command : {"compare", "report"}) {
    std::vector<std::string> args{command, a, b, "--days", "30", "--gpus", "100"};
    if (std::string(command) == "report") args.insert(args.end(), {"-o", dir_ + "/r.html"});
    const auto both = run_trainbench(args);
    EXPECT_EQ(both.exit_code, 2) << command;
    EXPECT_NE(both.err.find("--gpus fixes the count"), std::string::npos) << both.err;
  }
  // Two runs that need the same GPU-hours tie: no winner is named.
  const auto same = run_trainbench({"compare", a, write("copy.json", tb::testing::synthetic_run({}))});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_NE(same.out.find("fewest GPU-hours: a tie between A, B"), std::string::npos) << same.out;
  // The side-by-side view as one JSON object, for scripts: the HTML report's data.
  const auto js = run_trainbench({"compare", a, b, "--json"});
  ASSERT_EQ(js.exit_code, 0) << js.err;
  const auto j = nlohmann::json::parse(js.out);
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_EQ(j["target_model"], "gpt3-175b");
  // Each run's GPU-hours: GPT-3 175B's 1,076,373,430,272 model FLOPs per token (2 × (96 × 12·d² +
  // 50257·d) GEMM + 4 × 96 × 2048 × d attention, unmasked as PaLM counts it, forward, ×3;
  // d = 12288) × 300e9 tokens, at
  // the rate its file measured (the step's model FLOPs over its time), over 3600 s.
  for (size_t i = 0; i < 2; ++i) {
    const auto file = tb::results::read_results_file(i == 0 ? a : b);
    const double rate = file.step->model_flops / (file.step->step_ms * 1e-3);  // FLOP/s
    const auto& e = j["runs"][i]["extrapolation"];
    EXPECT_NEAR(e["sustained_tflops_per_gpu"].get<double>(), rate / 1e12, rate / 1e12 * 1e-12) << i;
    const double gpu_hours = 1'076'373'430'272.0 * 300e9 / rate / 3600;
    EXPECT_NEAR(e["gpu_hours"].get<double>(), gpu_hours, gpu_hours * 1e-9) << i;
    EXPECT_NEAR(e["wall_days"].get<double>(), gpu_hours / 1024 / 24, gpu_hours / 1024 / 24 * 1e-9) << i;
  }
  EXPECT_TRUE(j["best"]["gpu_hours"].is_number()) << j["best"].dump();
}

// --mtbf-gpu-hours: each run's days include its interruptions, at its own GPU count; the report
// carries the goodput too.
TEST_F(CompareCli, InterruptionsAreInEachRunsExtrapolation) {
  SyntheticRunSpec h200;
  h200.sku = "h200";
  const std::string b = write("h200.json", tb::testing::synthetic_run(h200));
  const auto plain = run_trainbench({"compare", base(), b, "--gpus", "16384"});
  const auto with = run_trainbench({"compare", base(), b, "--gpus", "16384", "--mtbf-gpu-hours", "llama3"});
  ASSERT_EQ(with.exit_code, 0) << with.out << with.err;
  EXPECT_EQ(plain.out.find("goodput"), std::string::npos) << plain.out;
  EXPECT_NE(with.out.find("goodput (%, interruptions)"), std::string::npos) << with.out;
  EXPECT_NE(plain.out, with.out);
  // Each run's days and GPU-hours are its uninterrupted ones over its goodput, which for 16,384
  // GPUs at Llama 3's rate (its 419 unexpected interruptions: one per 54 × 24 × 16384 / 419 GPU-hours,
  // M = 54 × 86400 / 419 = 11,135.08 s) with the default 60 s checkpoints and 600 s restarts is, by
  // hand (Daly's τ = 1116.29 s): 1116.29/1176.29 × (1 − (600 + 588.15)/11,135.08) = 0.84773.
  const auto plain_json = nlohmann::json::parse(run_trainbench({"compare", base(), b, "--gpus", "16384", "--json"}).out);
  const auto with_json = nlohmann::json::parse(
      run_trainbench({"compare", base(), b, "--gpus", "16384", "--mtbf-gpu-hours", "llama3", "--json"}).out);
  for (size_t i = 0; i < 2; ++i) {
    const auto& p = plain_json["runs"][i]["extrapolation"];
    const auto& w = with_json["runs"][i]["extrapolation"];
    // estimate --json's `interruptions` object (docs/compare-json.md), null without the model.
    EXPECT_TRUE(p["interruptions"].is_null()) << p.dump();
    ASSERT_TRUE(w["interruptions"]["goodput"].is_number()) << w.dump();
    const double f = w["interruptions"]["goodput"].get<double>();
    EXPECT_NEAR(f, 0.84773, 1e-5) << i;
    EXPECT_EQ(w["interruptions"]["gpus"], 16384) << i;
    EXPECT_NEAR(w["interruptions"]["uninterrupted_gpu_hours"].get<double>(), p["gpu_hours"].get<double>(),
                1e-9 * p["gpu_hours"].get<double>());
    EXPECT_NEAR(w["wall_days"].get<double>(), p["wall_days"].get<double>() / f, 1e-9 * w["wall_days"].get<double>());
    EXPECT_NEAR(w["gpu_hours"].get<double>(), p["gpu_hours"].get<double>() / f, 1e-9 * w["gpu_hours"].get<double>());
  }
  const std::string fake = write_text("chart.umd.js", "(function(g,f){typeof exports;define.amd;g.Chart=f()})(this,"
                                                      "function(){return function(){}})");
  const std::string html = dir_ + "/r.html";
  ASSERT_EQ(run_trainbench({"report", base(), "-o", html, "--chartjs", fake, "--mtbf-gpu-hours", "llama3"}).exit_code, 0);
  EXPECT_NE(tb::testing::read_text(html).find("\"goodput\":0."), std::string::npos);  // a fraction, not null
}

// Procurement with memory: each SKU gets the fastest layout its memory allows, not ideal scaling.
TEST_F(CompareCli, LayoutAutoGivesEachSkuTheLayoutItsMemoryAllows) {
  SyntheticRunSpec h200;
  h200.sku = "h200";
  h200.device_name = "NVIDIA H200 (synthetic test data)";
  const std::string b = write("h200.json", tb::testing::synthetic_run(h200));
  const auto ideal = run_trainbench({"compare", base(), b, "--gpus", "512"});
  const auto r = run_trainbench({"compare", base(), b, "--gpus", "512", "--layout", "auto"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(ideal.out.find("layout (--layout auto)"), std::string::npos);
  const auto row = r.out.find("layout (--layout auto)");
  ASSERT_NE(row, std::string::npos) << r.out;
  const std::string line = r.out.substr(row, r.out.find('\n', row) - row);
  size_t layouts = 0;  // one in each column
  for (size_t at = line.find("tp "); at != std::string::npos; at = line.find("tp ", at + 1)) ++layouts;
  EXPECT_EQ(layouts, 2u) << line;
  EXPECT_NE(r.out.find("scaling efficiency (%)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MFU end to end (%, after scaling)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("memory per GPU (%)"), std::string::npos) << r.out;
  // --json: each run's layout with estimate's `scaling` and `memory` of it (docs/compare-json.md),
  // one layout in both; without --layout auto, neither.
  const auto laid = nlohmann::json::parse(run_trainbench({"compare", base(), b, "--gpus", "512", "--layout", "auto",
                                                          "--json"}).out);
  const auto plain = nlohmann::json::parse(run_trainbench({"compare", base(), b, "--gpus", "512", "--json"}).out);
  for (size_t i = 0; i < 2; ++i) {
    const auto& e = laid["runs"][i]["extrapolation"];
    const auto& scaling = e["scaling"];
    const auto& memory = e["memory"];
    ASSERT_TRUE(scaling.is_object() && memory.is_object()) << e.dump();
    EXPECT_GT(scaling["efficiency"].get<double>(), 0.0) << i;
    EXPECT_LE(scaling["efficiency"].get<double>(), 1.0) << i;
    EXPECT_LE(memory["used_fraction"].get<double>(), 1.0) << i;  // the layout chosen fits
    EXPECT_EQ(memory["verdict"], "fits") << i;
    for (const char* dim : {"tp", "pp", "dp"}) EXPECT_EQ(scaling[dim], memory[dim]) << dim;
    EXPECT_EQ(scaling["tp"].get<int64_t>() * scaling["pp"].get<int64_t>() * scaling["dp"].get<int64_t>() *
                  scaling["cp"].get<int64_t>(),
              e["gpus"].get<int64_t>());
    EXPECT_EQ(e["layout"].get<std::string>().rfind(fmt::format("tp {} ", scaling["tp"].get<int64_t>()), 0), 0u)
        << e["layout"];
    EXPECT_TRUE(plain["runs"][i]["extrapolation"]["scaling"].is_null());
    EXPECT_TRUE(plain["runs"][i]["extrapolation"]["memory"].is_null());
  }

  const std::string fake = write_text("chart.umd.js", "(function(g,f){typeof exports;define.amd;g.Chart=f()})(this,"
                                                      "function(){return function(){}})");
  const std::string html_path = dir_ + "/layout.html";
  const auto rep = run_trainbench({"report", base(), b, "-o", html_path, "--chartjs", fake, "--layout", "auto"});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const std::string html = tb::testing::read_text(html_path);
  EXPECT_NE(html.find("\"layout\":\"tp "), std::string::npos);

  // --recompute reaches the extrapolation: full recomputation costs a third more GPU-hours on the
  // same layout (6·N + 12·L·d·s model FLOPs per token become 8·N + 16·L·d·s hardware FLOPs).
  const auto full = run_trainbench({"compare", base(), b, "--gpus", "512", "--recompute", "full"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_NE(full.out, ideal.out);
  // By hand, per token of GPT-3 175B (d 12288, L 96, s 2048): model FLOPs 3 × (2 × 174,563,733,504
  // GEMM + 9,663,676,416 attention) = 1,076,373,430,272; full recomputation runs every layer's
  // forward again (not the logits): + 2 × 96 × 12·d² + 9,663,676,416 = 1,433,929,457,664. At one
  // measured rate the GPU-hours scale by 1,433,929,457,664 / 1,076,373,430,272 = 1.33218585.
  const auto none_json = nlohmann::json::parse(run_trainbench({"compare", base(), b, "--gpus", "512", "--json"}).out);
  const auto full_json =
      nlohmann::json::parse(run_trainbench({"compare", base(), b, "--gpus", "512", "--recompute", "full", "--json"}).out);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_NEAR(full_json["runs"][i]["extrapolation"]["gpu_hours"].get<double>() /
                    none_json["runs"][i]["extrapolation"]["gpu_hours"].get<double>(),
                1.33218585, 1e-8)
        << i;
  const auto searched = run_trainbench({"compare", base(), b, "--gpus", "512", "--layout", "auto", "--recompute", "auto"});
  ASSERT_EQ(searched.exit_code, 0) << searched.err;
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--recompute", "auto"}, std::vector<std::string>{"--recompute", "sometimes"}}) {
    std::vector<std::string> args{"compare", base(), b};
    args.insert(args.end(), bad.begin(), bad.end());
    const auto e = run_trainbench(args);
    EXPECT_EQ(e.exit_code, 2) << bad[1];
    EXPECT_NE(e.err.find("--recompute"), std::string::npos) << e.err;
  }
  EXPECT_EQ(run_trainbench({"compare", "--baseline", base(), b, "--recompute", "full"}).exit_code, 2);

  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--layout", "best"}, std::vector<std::string>{"--global-batch", "64"}}) {
    std::vector<std::string> args{"compare", base(), b};
    args.insert(args.end(), bad.begin(), bad.end());
    const auto e = run_trainbench(args);
    EXPECT_EQ(e.exit_code, 2) << bad[0];
    EXPECT_NE(e.err.find("--layout"), std::string::npos) << e.err;
  }
}

TEST_F(CompareCli, DifferentDeviceIsRefusedInRegressionModeUnlessAllowed) {
  SyntheticRunSpec a100;
  a100.sku = "a100-sxm-80g";
  a100.device_name = "NVIDIA A100-SXM4-80GB (synthetic test data)";
  const std::string cur = write("a100.json", tb::testing::synthetic_run(a100));
  auto r = run_trainbench({"compare", "--baseline", base(), cur});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("different devices"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--allow-different-device"), std::string::npos);
  r = run_trainbench({"compare", "--baseline", base(), cur, "--allow-different-device"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // an A100 is slower than an H100: flagged, as asked
}

TEST_F(CompareCli, BadInputEachHasAClearMessage) {
  const std::string good = base();
  auto j = tb::results::to_json(tb::testing::synthetic_run({}));
  j["schema_version"] = 3;  // 1 and 2 are read (docs/results-schema.md)
  const std::string v3 = write_text("v3.json", j.dump());
  expect_usage_error(run_trainbench({"compare", good, v3}), "v3.json", "schema_version 3 is not supported");

  const std::string empty = write_text("empty.json", "");
  expect_usage_error(run_trainbench({"compare", "--baseline", good, empty}), "empty.json", "results file is empty");

  auto failed = tb::testing::synthetic_run({});
  failed.status = "failed";
  expect_usage_error(run_trainbench({"compare", "--baseline", good, write("failed.json", failed)}), "failed.json",
                     "the run failed");

  // Every kernel failed (out of memory, say): the run records a 0 ms step; the file still reads,
  // so that the message is why the run failed, not that the file is corrupt. As the baseline it is
  // refused (no kernel measured: nothing to compare with); as tonight's run every kernel the
  // baseline measured failed: a regression of each.
  auto all_failed = tb::testing::synthetic_run({.seed = 2});
  all_failed.status = "failed";
  for (auto& k : all_failed.kernels) {
    k.status = "oom";
    k.error = "out of memory";
  }
  all_failed.step->step_ms = 0;
  all_failed.step->tokens_per_s = 0;
  all_failed.step->mfu = all_failed.step->hfu = 0;
  all_failed.step->model_flops = all_failed.step->hardware_flops = all_failed.step->sustained_tflops = 0;
  const std::string oom = write("oom.json", all_failed);
  expect_usage_error(run_trainbench({"compare", "--baseline", oom, good}), "oom.json",
                     "the baseline measured no kernel: each failed or was not measured in every baseline run");
  const auto tonight = run_trainbench({"compare", "--baseline", good, oom, "--json"});
  EXPECT_EQ(tonight.exit_code, 1) << tonight.out << tonight.err;
  const auto verdict = nlohmann::json::parse(tonight.out);
  EXPECT_EQ(verdict.at("verdict"), "regression");
  EXPECT_EQ(verdict.at("regressions"), static_cast<int>(all_failed.kernels.size()));

  auto partial = tb::testing::synthetic_run({});
  partial.status = "partial";
  partial.kernels[1].status = "interrupted";
  expect_usage_error(run_trainbench({"compare", good, write("partial.json", partial)}), "partial.json",
                     "the run is partial");

  SyntheticRunSpec xl;
  xl.model = "gpt3-xl";
  xl.tensor_parallel = 1;
  const std::string other = write("xl.json", tb::testing::synthetic_run(xl));
  const auto r = run_trainbench({"compare", "--baseline", good, other});
  expect_usage_error(r, "xl.json", "measured different models");
  EXPECT_NE(r.err.find("gpt3-xl"), std::string::npos);

  expect_usage_error(run_trainbench({"compare", good, dir_ + "/missing.json"}), "missing.json", "cannot open");

  // A number beyond double's range is a corrupt file (not the JSON library's exception text),
  // and so is a value no measurement produces: each named with the file and the field.
  std::string text = tb::testing::read_text(good);
  text.replace(text.find("\"median_ms\": ") + 13, 0, "1e999, \"x\": ");
  const std::string huge = write_text("huge.json", text);
  expect_usage_error(run_trainbench({"compare", good, huge}), "huge.json", "number too large");
  expect_usage_error(run_trainbench({"export", "--format", "gbench", huge}), "huge.json", "number too large");
  expect_usage_error(run_trainbench({"report", huge, "-o", dir_ + "/r.html"}), "huge.json", "number too large");
  auto negative = tb::results::to_json(tb::testing::synthetic_run({}));
  negative["kernels"][0]["median_ms"] = -1;
  const std::string neg = write_text("negative.json", negative.dump());
  expect_usage_error(run_trainbench({"compare", "--baseline", good, neg}), "negative.json", "kernels[0].median_ms");
  expect_usage_error(run_trainbench({"export", "--format", "gbench", neg}), "negative.json", "kernels[0].median_ms");
  expect_usage_error(run_trainbench({"compare", "--baseline", good, good, "--threshold", "abc"}), "--threshold",
                     "not a percentage");
  expect_usage_error(run_trainbench({"compare", good}), "compare", "two or more results files to set side by side");
  // A sample count the samples kept disagree with: the file and the field named.
  auto miscounted = tb::results::to_json(tb::testing::synthetic_run({}));
  miscounted["kernels"][2]["samples"] = 19;
  expect_usage_error(run_trainbench({"compare", "--baseline", good, write_text("miscounted.json", miscounted.dump())}),
                     "miscounted.json", "'kernels[2].samples' is 19 but samples_ms holds 20 values");
}

// Every refusal of the gate answers in the formats asked for: the JSON verdict "error" and a
// JUnit <error> replacing last night's file, whatever was refused; where the JUnit path itself is
// refused, the JSON still answers.
TEST_F(CompareCli, EveryRefusalOfTheGateAnswersInTheFormatsAskedFor) {
  const std::string a = base();
  const std::string b = write("cur.json", tb::testing::synthetic_run({.seed = 3}));
  const std::string junit = dir_ + "/junit.xml";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--threshold", "abc"}, "--threshold"},       {{"--threshold", "0.03"}, "--threshold"},
      {{"--alpha", "abc"}, "--alpha 'abc'"},         {{"--alpha", "0.7"}, "--alpha must be a number in (0, 0.5]"},
      {{"--correction", "bonferroni"}, "accepted values: holm"},
      {{"--format", "xml"}, "--format"},             {{"--gpus", "8"}, "--gpus"},
  };
  for (const auto& [extra, needle] : cases) {
    tb::testing::write_text(junit, "<?xml version=\"1.0\"?>\n<testsuites name=\"last night's report\"/>\n");
    std::vector<std::string> args{"compare", "--baseline", a, b, "--json", "--junit", junit};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << extra[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << extra[0] << ": stdout is no JSON: " << r.out;
    EXPECT_EQ(j.at("verdict"), "error");
    EXPECT_EQ(j.at("exit_code"), 2);
    EXPECT_NE(j.at("error").get<std::string>().find(needle), std::string::npos) << r.out;
    const std::string xml = tb::testing::read_text(junit);
    EXPECT_NE(xml.find("<error message=\""), std::string::npos) << extra[0] << ": " << xml;
    EXPECT_EQ(xml.find("last night"), std::string::npos) << extra[0];
  }
  // --json beside --format: the JSON was asked for, so it answers.
  const auto both = run_trainbench({"compare", "--baseline", a, b, "--json", "--format", "markdown"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_EQ(nlohmann::json::parse(both.out).at("verdict"), "error");
  // The JUnit path refused (a directory): no JUnit can be written, the JSON still answers.
  const auto dir = run_trainbench({"compare", "--baseline", a, b, "--json", "--junit", dir_});
  EXPECT_EQ(dir.exit_code, 2);
  EXPECT_NE(nlohmann::json::parse(dir.out).at("error").get<std::string>().find("--junit"), std::string::npos)
      << dir.out;
  // --alpha's help says what it applies to and its range; --correction lists its values.
  const auto help = run_trainbench({"compare", "--help"});
  EXPECT_NE(help.out.find("(0, 0.5]"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("every p-value rule"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--correction"), std::string::npos) << help.out;
}

TEST_F(CompareCli, ExportWritesGoogleBenchmarkJson) {
  const std::string out = dir_ + "/gbench.json";
  auto r = run_trainbench({"export", "--format", "gbench", base(), "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(tb::testing::read_text(out));
  EXPECT_FALSE(j.at("benchmarks").empty());
  EXPECT_EQ(j["benchmarks"][0]["time_unit"], "ms");
  r = run_trainbench({"export", "--format", "csv", base()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("accepted values: gbench"), std::string::npos) << r.err;
  // gbench is the one format: it needs no flag.
  r = run_trainbench({"export", base()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), j);
  // A kernel that did not measure is no entry (dashboards would plot it as 0 ms): it is listed on
  // stderr, the rest is written, and the exit status is 1.
  auto partial = tb::testing::synthetic_run({});
  tb::testing::mark_not_measured(partial, 0, "oom", "out of memory");
  const std::string partial_out = dir_ + "/partial-gbench.json";
  r = run_trainbench({"export", write("partial.json", partial), "-o", partial_out});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("left out of the export"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(partial.kernels[0].name), std::string::npos) << r.err;
  EXPECT_EQ(nlohmann::json::parse(tb::testing::read_text(partial_out))["benchmarks"].size(),
            partial.kernels.size() - 1);
}

TEST_F(CompareCli, ReportWritesOneHtmlFile) {
  const std::string fake = write_text("chart.umd.js", "(function(g,f){typeof exports;define.amd;g.Chart=f()})(this,"
                                                      "function(){return function(){}})");
  const std::string out = dir_ + "/report.html";
  auto r = run_trainbench({"report", base(), "-o", out, "--chartjs", fake});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = tb::testing::read_text(out);
  EXPECT_NE(html.find("chart-roofline"), std::string::npos);
  // A --chartjs that does not work is bad input (exit 2, naming the flag), missing, a directory or
  // empty alike.
  const std::string empty = write_text("empty.js", "");
  for (const std::string& bad : {dir_ + "/none.js", dir_, empty}) {
    r = run_trainbench({"report", base(), "-o", out, "--chartjs", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--chartjs"), std::string::npos) << r.err;
  }
}

// An output path that is an input, a directory, empty or unwritable is refused before any work
// (exit 2, naming the flag), and the input is left as it was.
TEST_F(CompareCli, OutputPathsAreCheckedBeforeAnyWork) {
  const std::string a = base();
  const std::string b = write("cur.json", tb::testing::synthetic_run({}));
  const std::string before = tb::testing::read_text(a);
  const std::string same_a = dir_ + "/./../" + std::filesystem::path(dir_).filename().string() + "/base.json";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"report", a, "-o", a}, "is also an input"},
      {{"report", a, "-o", same_a}, "is also an input"},
      {{"report", a, "-o", ""}, "an empty value after -o"},
      {{"report", a, "-o", dir_}, "is a directory"},
      {{"report", a, "-o", "/dev/null"}, "not a regular file"},
      {{"compare", "--baseline", a, b, "--junit", b}, "is also an input"},
      {{"compare", "--baseline", a, b, "--junit", dir_}, "is a directory"},
      {{"compare", "--baseline", a, b, "--junit", ""}, "an empty value after --junit"},
      {{"export", "--format", "gbench", a, "-o", a}, "is also an input"},
      {{"export", "--format", "gbench", a, "-o", dir_}, "is a directory"},
  };
  for (const auto& [args, needle] : cases) {
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args.back() << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_TRUE(r.err.find("-o") != std::string::npos || r.err.find("--junit") != std::string::npos) << r.err;
  }
  EXPECT_EQ(tb::testing::read_text(a), before);
}

// A directory or a device where a results file belongs says what it is (not "empty").
TEST_F(CompareCli, ResultsPathThatIsNotAFileSaysWhatItIs) {
  const std::string good = base();
  expect_usage_error(run_trainbench({"compare", good, dir_}), dir_, "is a directory");
  expect_usage_error(run_trainbench({"export", "--format", "gbench", dir_}), dir_, "is a directory");
  expect_usage_error(run_trainbench({"report", dir_, "-o", dir_ + "/r.html"}), dir_, "is a directory");
  expect_usage_error(run_trainbench({"compare", good, "/dev/null"}), "/dev/null", "not a regular file");
}

// Each mode refuses the other mode's flags instead of ignoring them.
TEST_F(CompareCli, FlagsOfTheOtherModeAreRefused) {
  const std::string a = base();
  const std::string b = write("cur.json", tb::testing::synthetic_run({}));
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--gpus", "8"}, {"--days", "30"}, {"--layout", "auto"}, {"--model", "gpt3-xl"},
        {"--gpu-hour-price", "h100-sxm=2"}, {"--mtbf-gpu-hours", "llama3"}}) {
    std::vector<std::string> args{"compare", "--baseline", a, b};
    args.insert(args.end(), extra.begin(), extra.end());
    expect_usage_error(run_trainbench(args), extra[0], "--baseline");
  }
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--threshold", "5%"}, {"--alpha", "0.1"}, {"--correction", "none"},
        {"--allow-different-device"}}) {
    std::vector<std::string> args{"compare", a, b};
    args.insert(args.end(), extra.begin(), extra.end());
    expect_usage_error(run_trainbench(args), extra[0], "--baseline");
  }
}

// --threshold is in percent (docs/compare.md): "0.03" would read as 3% to anyone used to
// --noise 0.01, so a bare number below 1 is refused, saying how to write either meaning.
TEST_F(CompareCli, AmbiguousThresholdIsRefused) {
  const std::string a = base();
  auto again = tb::testing::synthetic_run({});  // the same timings, another run: passes at any threshold
  again.machine.utc_time = "2026-01-02T00:00:00Z";
  const std::string b = write("cur.json", again);
  const auto r = run_trainbench({"compare", "--baseline", a, b, "--threshold", "0.03"});
  expect_usage_error(r, "--threshold", "ambiguous");
  EXPECT_NE(r.err.find("3%"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("0.03%"), std::string::npos) << r.err;
  for (const std::string ok : {"0.5%", "3", "3%", "0"})
    EXPECT_EQ(run_trainbench({"compare", "--baseline", a, b, "--threshold", ok}).exit_code, 0) << ok;
}

TEST_F(CompareCli, GpuHourQuotesRankTheRunsOnCost) {
  SyntheticRunSpec h200;
  h200.sku = "h200";
  h200.device_name = "NVIDIA H200 (synthetic test data)";
  const std::string a = base(), b = write("h200.json", tb::testing::synthetic_run(h200));
  const auto r = run_trainbench({"compare", a, b, "--days", "30", "--gpu-hour-price", "h100-sxm=2",
                                 "--gpu-hour-price", "B=2.5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("lowest cost: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("least energy: "), std::string::npos) << r.out;
  // One run unpriced: the winner is named among the priced only, saying which has no price (B and C
  // are the same run at two quotes); with one priced run there is no winner to name.
  const auto two = run_trainbench({"compare", a, b, b, "--days", "30", "--gpu-hour-price", "B=2.5", "--gpu-hour-price",
                                   "C=3"});
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_NE(two.out.find("lowest cost of the priced (A has no price): B"), std::string::npos) << two.out;
  // The site's PUE and electricity price weigh every run's energy (hand values: the harness test).
  const auto site = run_trainbench({"compare", a, b, "--days", "30", "--gpu-hour-price", "A=2", "--pue", "1.3",
                                    "--electricity-price", "0.1"});
  ASSERT_EQ(site.exit_code, 0) << site.err;
  EXPECT_NE(site.out.find("energy (MWh, PUE 1.30)"), std::string::npos) << site.out;
  EXPECT_NE(site.out.find("electricity (--electricity-price)"), std::string::npos) << site.out;
  EXPECT_NE(site.out.find("rental + electricity"), std::string::npos) << site.out;
  // Both rented, electricity priced: the whole bill ranks them.
  const auto bill = run_trainbench({"compare", a, b, "--days", "30", "--gpu-hour-price", "A=2", "--gpu-hour-price",
                                    "B=2.5", "--electricity-price", "0.1"});
  ASSERT_EQ(bill.exit_code, 0) << bill.err;
  EXPECT_NE(bill.out.find("lowest rental + electricity: "), std::string::npos) << bill.out;
  // One quote ranks nothing: no winner, and the line says whose quote is missing.
  const auto one = run_trainbench({"compare", a, b, "--days", "30", "--gpu-hour-price", "B=2.5"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("lowest cost: none — A has no --gpu-hour-price\n"), std::string::npos) << one.out;
  EXPECT_EQ(one.out.find("lowest cost: B"), std::string::npos) << one.out;
  EXPECT_EQ(one.out.find("lowest cost of the priced"), std::string::npos) << one.out;
  for (const std::string cmd : {"compare", "report"}) {
    auto args = [&](const std::vector<std::string>& extra) { return two_runs(cmd, a, b, extra); };
    for (const std::string bad : {"h100-sxm", "=2", "h100-sxm=cheap", "Z=2", "A=-1"}) {
      const auto e = run_trainbench(args({"--gpu-hour-price", bad}));
      EXPECT_EQ(e.exit_code, 2) << cmd << " " << bad << ": " << e.err;
      EXPECT_NE(e.err.find("--gpu-hour-price"), std::string::npos) << e.err;
    }
    const auto c = run_trainbench(args({"--gpu-hour-price", "A=2", "--currency", "U$D"}));
    EXPECT_EQ(c.exit_code, 2) << cmd << ": " << c.err;
    EXPECT_NE(c.err.find("--currency"), std::string::npos) << c.err;
    // The site's PUE and electricity price: in range, or refused naming the flag.
    for (const auto& [flag, value, says] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"--pue", "0.5", "--pue must be between 1.0 and 10.0 (got 0.5)"},
             {"--electricity-price", "-1", "--electricity-price must be a price in (0, 100] USD per kWh (got -1)"}}) {
      const auto e = run_trainbench(args({flag, value}));
      EXPECT_EQ(e.exit_code, 2) << cmd << " " << flag << ": " << e.err;
      EXPECT_NE(e.err.find(says), std::string::npos) << e.err;
    }
    EXPECT_EQ(run_trainbench(args({"--days", "30", "--pue", "1.3", "--electricity-price", "0.1"})).exit_code, 0) << cmd;
  }
}


// The typo guards scale with --currency in compare and report too: a KRW quote (3500 per GPU-hour,
// 170 per kWh) passes where the same numbers in USD are refused.
TEST_F(CompareCli, PriceLimitsScaleWithTheCurrency) {
  const std::string a = base();
  const std::string b = write("cur.json", tb::testing::synthetic_run({}));
  for (const std::string cmd : {"compare", "report"}) {
    auto args = [&](const std::vector<std::string>& extra) { return two_runs(cmd, a, b, extra); };
    const auto krw = run_trainbench(args({"--gpu-hour-price", "A=3500", "--electricity-price", "170", "--currency", "KRW"}));
    EXPECT_EQ(krw.exit_code, 0) << cmd << ": " << krw.err;
    if (cmd == "compare") EXPECT_NE(krw.out.find(" million KRW"), std::string::npos) << krw.out;
    for (const auto& [extra, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"--electricity-price", "170"}, "--electricity-price must be a price in (0, 100] USD per kWh (got 170)"},
             {{"--gpu-hour-price", "A=35000"}, "--gpu-hour-price A=35000: the price must be in (0, 10000] USD per GPU-hour"},
             {{"--gpu-hour-price", "A=3.5e8", "--currency", "KRW"},
              "--gpu-hour-price A=3.5e+08: the price must be in (0, 1e+08] KRW per GPU-hour"}}) {
      const auto e = run_trainbench(args(extra));
      EXPECT_EQ(e.exit_code, 2) << cmd << " " << says;
      EXPECT_NE(e.err.find(says), std::string::npos) << e.err;
    }
  }
}

// The nightly bot's view: one JSON object with the verdict, every item and what changed.
TEST_F(CompareCli, RegressionVerdictAsJson) {
  SyntheticRunSpec cur;
  cur.seed = 4;
  cur.slow_kernel = "attention.fwd";
  cur.slowdown = 0.25;
  auto current = tb::testing::synthetic_run(cur);
  current.machine.driver_version = "999.1 (test)";
  const auto r = run_trainbench({"compare", "--baseline", base(), write("cur.json", current), "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("verdict"), "regression");
  EXPECT_EQ(j.at("regressions"), 1);
  bool slow_found = false;
  for (const auto& i : j.at("items")) slow_found |= i.at("key").get<std::string>().find("attention.fwd") == 0 &&
                                                    i.at("verdict") == "slower";
  EXPECT_TRUE(slow_found) << r.out;
  // Every item verdict is one of the four documented values, lower-case; the threshold is given
  // in percent too; the family the p-values were adjusted over is counted.
  for (const auto& i : j.at("items")) {
    const std::string v = i.at("verdict");
    EXPECT_TRUE(v == "same" || v == "faster" || v == "slower" || v == "unjudged") << v;
    EXPECT_TRUE(i.contains("noise_baseline") && i.contains("noise_current")) << i.dump();
    if (i.at("rule") == "u-test") {
      EXPECT_TRUE(i.at("in_family").get<bool>());
      EXPECT_GE(i.at("adjusted_p_value").get<double>(), i.at("p_value").get<double>());
      EXPECT_GT(i.at("noise_baseline").get<double>(), 0);
    }
  }
  EXPECT_DOUBLE_EQ(j.at("threshold_percent").get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(j.at("threshold").get<double>(), 0.03);
  EXPECT_EQ(j.at("correction"), "holm");
  EXPECT_EQ(j.at("family_size"), 23);  // 23 kernels; the step's noise bands have no p-value
  ASSERT_EQ(j.at("environment").size(), 1u);
  EXPECT_EQ(j.at("environment")[0].at("field"), "driver_version");
  const auto both = run_trainbench({"compare", "--baseline", base(), write("c2.json", current), "--json",
                                    "--format", "markdown"});
  EXPECT_EQ(both.exit_code, 2) << both.err;
  // Side by side, --json is the comparison's data (no verdict key: there is no gate).
  const auto side = run_trainbench({"compare", base(), write("c3.json", current), "--json"});
  ASSERT_EQ(side.exit_code, 0) << side.err;
  EXPECT_FALSE(nlohmann::json::parse(side.out).contains("verdict"));
}

// A nightly job with several runs a side: --baseline repeated or as a list, several current
// files; with three a side the runs decide (a run as slow as the current ones in the baseline
// keeps a +5% shift from failing the gate, and from passing it: inconclusive).
TEST_F(CompareCli, SeveralRunsASideAreGivenAsRepeatedOrListedFiles) {
  std::vector<std::string> base_runs, cur_runs;
  const double base_shift[] = {0.0, 0.10, 0.01}, cur_shift[] = {0.05, 0.06, 0.11};
  for (int i = 0; i < 3; ++i) {
    SyntheticRunSpec b, c;
    b.seed = 1 + i, c.seed = 11 + i;
    b.slow_kernel = c.slow_kernel = "*";
    b.slowdown = base_shift[i], c.slowdown = cur_shift[i];
    base_runs.push_back(write("b" + std::to_string(i) + ".json", tb::testing::synthetic_run(b)));
    cur_runs.push_back(write("c" + std::to_string(i) + ".json", tb::testing::synthetic_run(c)));
  }
  // Three a side cannot fail under Holm over 24 items (1/20 > 0.05/24): refused, saying so, in the
  // JSON asked for.
  const auto holm = run_trainbench({"compare", "--baseline", base_runs[0], "--baseline", base_runs[1] + "," + base_runs[2],
                                    cur_runs[0], cur_runs[1], cur_runs[2], "--json"});
  EXPECT_EQ(holm.exit_code, 2) << holm.out << holm.err;
  EXPECT_EQ(nlohmann::json::parse(holm.out).at("error_kind"), "never_fails");
  const std::string why = nlohmann::json::parse(holm.out).at("error");
  EXPECT_NE(why.find("3 vs 3 run(s) a side, --alpha 0.05, --correction holm over 24 items"), std::string::npos) << why;
  EXPECT_NE(why.find("7 or more runs a side"), std::string::npos) << why;
  EXPECT_NE(why.find("or --correction none"), std::string::npos) << why;
  const auto r = run_trainbench({"compare", "--baseline", base_runs[0], "--baseline", base_runs[1] + "," + base_runs[2],
                                 cur_runs[0], cur_runs[1], cur_runs[2], "--json", "--correction", "none"});
  ASSERT_EQ(r.exit_code, 3) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("verdict"), "inconclusive");
  EXPECT_EQ(j.at("regressions"), 0);
  EXPECT_EQ(j.at("baseline_runs"), 3);
  EXPECT_EQ(j.at("current_runs"), 3);
  for (const auto& item : j.at("items")) {
    EXPECT_EQ(item.at("rule"), "run ranges") << item.dump();
    EXPECT_EQ(item.at("baseline_runs_ms").size(), 3u) << item.dump();
  }
  // One run a side of the same files: the within-run U test fails it.
  EXPECT_EQ(run_trainbench({"compare", "--baseline", base_runs[0], cur_runs[0]}).exit_code, 1);
}

// When the gate cannot judge, --json and --junit still say so, with the reason and its kind, and exit 2.
TEST_F(CompareCli, ARefusedComparisonStillWritesAMachineReadableVerdict) {
  SyntheticRunSpec other;
  other.model = "gpt3-xl";
  other.tensor_parallel = 1;
  const std::string junit = dir_ + "/junit.xml";
  const auto r = run_trainbench({"compare", "--baseline", base(), write("other.json", tb::testing::synthetic_run(other)),
                                 "--allow-different-shapes", "--json", "--junit", junit});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("verdict"), "error");
  EXPECT_EQ(j.at("exit_code"), 2);
  EXPECT_EQ(j.at("error_kind"), "incomparable");
  EXPECT_NE(j.at("error").get<std::string>().find("no kernel in common"), std::string::npos) << r.out;
  const std::string xml = tb::testing::read_text(junit);
  EXPECT_NE(xml.find("errors=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<error message=\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("type=\"incomparable\""), std::string::npos) << xml;
  // Each kind as a job would meet it: a missing file, a bad flag.
  const auto missing = run_trainbench({"compare", "--baseline", base(), dir_ + "/no-such.json", "--json"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(nlohmann::json::parse(missing.out).at("error_kind"), "unreadable") << missing.out;
  const auto alpha = run_trainbench({"compare", "--baseline", base(), base() + ".x", "--alpha", "0.9", "--json"});
  EXPECT_EQ(alpha.exit_code, 2);
  EXPECT_EQ(nlohmann::json::parse(alpha.out).at("error_kind"), "usage") << alpha.out;
}

// Extrapolating another model from these kernels is allowed but said, as estimate says it.
TEST_F(CompareCli, AnotherModelThanTheFilesMeasuredIsNoted) {
  const std::string a = base(), b = write("b.json", tb::testing::synthetic_run({.seed = 2}));
  const auto r = run_trainbench({"compare", a, b, "--model", "gpt3-xl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("note: " + a + " measured gpt3-175b's kernels; extrapolating gpt3-xl"), std::string::npos)
      << r.out;
  EXPECT_EQ(run_trainbench({"compare", a, b}).out.find("note:"), std::string::npos);
}
