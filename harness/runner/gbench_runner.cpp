#include "harness/runner/gbench_runner.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

#include "harness/common/errors.hpp"
#include "harness/common/near_miss.hpp"
#include "harness/export/gbench_names.hpp"
#include "harness/results/output_path.hpp"
#include "harness/runner/gbench_reporter.hpp"
#include "harness/runner/interrupt.hpp"

namespace tb::runner {
namespace {

// Google Benchmark with no --benchmark_* flag: trainbench prints its own table instead.
class SilentReporter final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

constexpr const char* kPrefix = "--benchmark_";

// A case after the one an interrupt stopped: "skipped", as `run` and `comm` write the kernels they
// never started (docs/results-schema.md), not "interrupted" with no samples.
results::KernelResult not_started(const Op& op, const std::string& interrupted_at) {
  results::KernelResult r = describe_op(op);
  r.status = "skipped";
  r.error = fmt::format("not measured: the run was interrupted at {}", interrupted_at);
  return r;
}

}  // namespace

std::vector<results::KernelResult> run_cases(kernels::Backend& backend, const std::vector<Op>& ops,
                                             const MeasureOptions& options, const std::optional<SkuConfig>& sku,
                                             const CaseProgress& progress) {
  std::vector<results::KernelResult> out;
  out.reserve(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    if (progress) progress(i, ops.size(), ops[i], nullptr);
    out.push_back(measure_op(backend, ops[i], options, sku));
    if (progress) progress(i, ops.size(), ops[i], &out.back());
  }
  return out;
}

std::vector<std::string> take_gbench_args(std::vector<std::string>& args) {
  std::vector<std::string> taken, rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind(kPrefix, 0) == 0) {
      taken.push_back(args[i]);
      // "--benchmark_x value" (no '='): Google Benchmark wants "--benchmark_x=value".
      if (args[i].find('=') == std::string::npos && i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0)
        taken.back() += "=" + args[++i];
    } else {
      rest.push_back(args[i]);
    }
  }
  args = rest;
  return taken;
}

const std::vector<std::string>& gbench_flag_names() {
  // benchmark.cc's BM_DEFINE_* flags of 1.7.1; --v (its log verbosity) is no --benchmark_ flag.
  static const std::vector<std::string> names = {
      "--benchmark_list_tests",         "--benchmark_filter",
      "--benchmark_min_time",           "--benchmark_min_warmup_time",
      "--benchmark_repetitions",        "--benchmark_enable_random_interleaving",
      "--benchmark_report_aggregates_only", "--benchmark_display_aggregates_only",
      "--benchmark_format",             "--benchmark_out_format",
      "--benchmark_out",                "--benchmark_color",
      "--benchmark_counters_tabular",   "--benchmark_perf_counters",
      "--benchmark_context",            "--benchmark_time_unit"};
  return names;
}

void check_gbench_args(const std::vector<std::string>& args) {
  const auto& known = gbench_flag_names();
  for (const auto& a : args) {
    const std::string flag = a.substr(0, a.find('='));
    if (std::find(known.begin(), known.end(), flag) == known.end())
      throw UsageError(fmt::format("no Google Benchmark flag {}{}; it takes {}", flag, did_you_mean(flag, known),
                                   fmt::join(known, ", ")));
  }
  // Google Benchmark answers a value it does not know, or a flag that needs one given bare, with its
  // usage text and exit(0): a nightly job with a typo would pass green with no results.
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kValues = {
      {"format", {"console", "json", "csv"}},      {"out_format", {"console", "json", "csv"}},
      {"time_unit", {"ns", "us", "ms", "s"}},      {"filter", {}},
      {"min_time", {}},                            {"min_warmup_time", {}},
      {"repetitions", {}},                         {"out", {}},
      {"perf_counters", {}},                       {"context", {}}};
  for (const auto& [name, accepted] : kValues) {
    const std::string flag = kPrefix + name;
    for (const auto& a : args) {
      if (a == flag)
        throw UsageError(fmt::format("{} needs a value: {}={}", flag, flag,
                                     accepted.empty() ? "VALUE" : fmt::format("{}", fmt::join(accepted, "|"))));
      if (accepted.empty() || a.rfind(flag + "=", 0) != 0) continue;
      const std::string value = a.substr(flag.size() + 1);
      if (std::find(accepted.begin(), accepted.end(), value) == accepted.end())
        throw UsageError(fmt::format("{}={}: accepted values are {}{}", flag, value, fmt::join(accepted, ", "),
                                     did_you_mean(value, accepted)));
    }
  }
  // Google Benchmark takes a repetition count of 0 as "none" and a negative one as a huge vector
  // reservation; its --benchmark_out fails late, as "invalid file name", without the flag.
  if (const std::string reps = gbench_flag_value(args, "repetitions"); !reps.empty()) {
    char* end = nullptr;
    const long long n = std::strtoll(reps.c_str(), &end, 10);
    if (end == reps.c_str() || *end != '\0' || n < 1 || n > 100000)
      throw UsageError(fmt::format("--benchmark_repetitions={}: give a whole number of repetitions, 1 to 100000",
                                   reps));
  }
  if (const std::string out = gbench_flag_value(args, "out"); !out.empty())
    results::check_output_path(out, "--benchmark_out", results::OutputKind::BenchmarkOut);
}

std::string gbench_flag_value(const std::vector<std::string>& gbench_args, const std::string& name) {
  const std::string key = kPrefix + name + "=";
  for (const auto& a : gbench_args)
    if (a.rfind(key, 0) == 0) return a.substr(key.size());
  return {};
}

std::string gbench_name(const Op& op) {
  return exporting::gbench_base_name(op.name, op.shape_string(), to_string(op.dtype));
}

std::vector<results::KernelResult> run_with_google_benchmark(kernels::Backend& backend, const std::vector<Op>& ops,
                                                             const MeasureOptions& options,
                                                             const std::optional<SkuConfig>& sku,
                                                             const GbenchOptions& gbench) {
  timing::validate(options.policy);  // refuse bad flags before Google Benchmark starts
  check_gbench_args(gbench.args);
  // Google Benchmark parses its flags from argv and leaves what it does not know.
  std::vector<std::string> storage{"trainbench"};
  storage.insert(storage.end(), gbench.args.begin(), gbench.args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(storage.size());
  benchmark::Initialize(&argc, argv.data());
  if (argc > 1)
    throw UsageError(fmt::format("unknown Google Benchmark flag '{}'; see --benchmark_list_tests, "
                                 "--benchmark_filter, --benchmark_format, --benchmark_out, --benchmark_repetitions",
                                 argv[1]));

  std::vector<results::KernelResult> out;
  std::vector<bool> ran(ops.size(), false);
  std::string interrupted_at;  // the case an interrupt stopped: those after it never start
  for (size_t i = 0; i < ops.size(); ++i) {
    benchmark::RegisterBenchmark(gbench_name(ops[i]).c_str(),
                                 [&, i](benchmark::State& state) {
                                   if (gbench.progress) gbench.progress(i, ops.size(), ops[i], nullptr);
                                   ran[i] = true;
                                   for (auto _ : state) {
                                     out.push_back(interrupted_at.empty() ? measure_op(backend, ops[i], options, sku)
                                                                          : not_started(ops[i], interrupted_at));
                                     const auto& r = out.back();
                                     if (r.status == "interrupted" && interrupted_at.empty())
                                       interrupted_at = r.shape.empty() ? r.name : r.name + " " + r.shape;
                                     if (r.status != "ok") {
                                       state.SkipWithError(fmt::format("{}: {}", r.status, r.error).c_str());
                                       break;
                                     }
                                     state.SetIterationTime(r.stats.median_ms * 1e-3);
                                   }
                                   const auto& r = out.back();
                                   state.SetLabel(exporting::gbench_label(r.shape, r.dtype, r.verified));
                                   state.counters["TFLOPS"] = r.tflops;
                                   state.counters["GBps"] = r.gbps;
                                   state.counters["pct_of_peak"] = r.pct_of_peak;
                                   // Both where the spread is known (two samples or more), as
                                   // `export` writes them (harness/export/gbench_export.cpp). A 0
                                   // is a count, and is set: Google Benchmark averages a counter
                                   // over the repetitions that set it, so outliers {4, 0, 0} set
                                   // only where > 0 read as a mean of 4. (Its cv of a counter 0 in
                                   // every repetition, 0/0, FiniteCvReporter writes as 0.)
                                   if (const auto noise = timing::known_rel_noise(r.stats)) {
                                     state.counters["rel_noise"] = *noise;
                                     state.counters["outliers"] = static_cast<double>(r.stats.outliers);
                                   }
                                   state.counters["samples"] = static_cast<double>(r.stats.samples);
                                   state.counters["median_ms"] = r.stats.median_ms;
                                   state.counters["verified"] = r.verified ? 1 : 0;
                                   if (gbench.progress) gbench.progress(i, ops.size(), ops[i], &r);
                                 })
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }
  SilentReporter silent;
  try {
    if (gbench.args.empty()) {
      benchmark::RunSpecifiedBenchmarks(&silent);
    } else {
      // Google Benchmark's own reporters (its --benchmark_format, --benchmark_out_format), each
      // through FiniteCvReporter so that --benchmark_repetitions still gives JSON.
      FiniteCvReporter display(benchmark::CreateDefaultDisplayReporter(), /*owned=*/false);
      std::unique_ptr<benchmark::BenchmarkReporter> file;
      if (!gbench_flag_value(gbench.args, "out").empty()) {
        const std::string format = gbench_flag_value(gbench.args, "out_format");
        file = finite_cv_file_reporter(format.empty() ? "json" : format);  // json: Google Benchmark's default
      }
      benchmark::RunSpecifiedBenchmarks(&display, file.get());
    }
  } catch (...) {
    benchmark::ClearRegisteredBenchmarks();
    throw;
  }
  benchmark::ClearRegisteredBenchmarks();
  // Google Benchmark reads a bool flag as true unless it is false, 0, no, n or f (any case).
  std::string list = gbench_flag_value(gbench.args, "list_tests");
  for (char& c : list) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool listing =
      std::find(gbench.args.begin(), gbench.args.end(), "--benchmark_list_tests") != gbench.args.end() ||
      (!list.empty() && list != "false" && list != "0" && list != "no" && list != "n" && list != "f" && list != "off");
  if (!listing && std::none_of(ran.begin(), ran.end(), [](bool r) { return r; }) && !ops.empty()) {
    std::vector<std::string> names;
    for (const auto& op : ops) names.push_back(gbench_name(op));
    throw UsageError(fmt::format("--benchmark_filter={} selects none of the {} benchmark(s): {}; nothing was measured",
                                 gbench_flag_value(gbench.args, "filter"), ops.size(),
                                 names.size() > 5 ? fmt::format("{}, ...", fmt::join(names.begin(), names.begin() + 5, ", "))
                                                  : fmt::format("{}", fmt::join(names, ", "))));
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ran[i]) continue;
    results::KernelResult r = describe_op(ops[i]);
    r.status = "skipped";
    r.error = "not selected by --benchmark_filter";
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace tb::runner
