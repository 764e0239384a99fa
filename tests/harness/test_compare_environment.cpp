// What the regression gate lists as changed beside its verdict, beyond the machine's versions: a
// much busier host where both sides are "busy", the timing rule the kernels were measured under,
// and a note where every run was busy. And the run it must refuse: the same run on both sides.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/common/errors.hpp"
#include "harness/compare/format.hpp"
#include "harness/compare/regression.hpp"
#include "tests/report/synthetic_results.hpp"

using namespace tb::compare;
using tb::testing::synthetic_run;
using tb::testing::SyntheticRunSpec;

namespace {

// `loads` per CPU, one run each, on a 2-CPU host.
std::vector<LabeledResults> loaded_runs(const std::vector<double>& loads, uint32_t seed, const std::string& stem) {
  std::vector<LabeledResults> out;
  for (size_t i = 0; i < loads.size(); ++i) {
    SyntheticRunSpec spec;
    spec.seed = seed + static_cast<uint32_t>(i);
    LabeledResults f{fmt::format("{}{}.json", stem, i), synthetic_run(spec)};
    f.results.machine.host_cpus = 2;
    f.results.machine.load_avg_1m = 2 * loads[i];
    out.push_back(std::move(f));
  }
  return out;
}

RegressionOptions none() {
  RegressionOptions o;
  o.correction = Correction::None;
  return o;
}

const EnvironmentChange* change(const RegressionReport& r, const std::string& field) {
  const auto it = std::find_if(r.environment.begin(), r.environment.end(),
                               [&](const EnvironmentChange& e) { return e.field == field; });
  return it == r.environment.end() ? nullptr : &*it;
}

bool has_note(const RegressionReport& r, const std::string& text) {
  return std::any_of(r.notes.begin(), r.notes.end(),
                     [&](const std::string& n) { return n.find(text) != std::string::npos; });
}

}  // namespace

// The reviewer's nights: both "busy (load >= 1 on 2 CPUs)", load per CPU 1.4-2.3 against 2.9-4.3.
TEST(CompareEnvironment, AMuchBusierHostIsAChangeEvenInTheSameBucket) {
  const auto base = loaded_runs({1.4, 2.3, 1.8}, 1, "b"), busier = loaded_runs({2.9, 4.3, 3.5}, 11, "c");
  const auto r = check_regressions(base, busier, none());
  const auto* load = change(r, "host_load");
  ASSERT_NE(load, nullptr);
  EXPECT_EQ(load->baseline, "busy, load per CPU 1.40..2.30, median 1.80 (2 CPUs)");
  EXPECT_EQ(load->current, "busy, load per CPU 2.90..4.30, median 3.50 (2 CPUs)");
  const std::string text = format_regressions(r, TableFormat::Text);
  EXPECT_EQ(text.find("unchanged since the baseline"), std::string::npos) << text;
  EXPECT_NE(text.find("host_load: busy, load per CPU 1.40..2.30, median 1.80 (2 CPUs) -> busy, load per CPU "
                      "2.90..4.30, median 3.50"),
            std::string::npos)
      << text;
  // Every run busy: differences may be the load.
  EXPECT_TRUE(has_note(r, "all runs ran on a busy host (load per CPU 1.40..2.30 in the baseline, 2.90..4.30 in the "
                          "current run(s)"));
  EXPECT_TRUE(has_note(r, "differences may be load, not code"));

  // Medians less than 1.25x apart are the same busy host, overlapping or not (2.1 and 2.2 against
  // 1.8: 1.17x, 1.22x); 2.3 is 1.28x: a change.
  auto load_changed = [&](const std::vector<double>& loads) {
    return change(check_regressions(base, loaded_runs(loads, 11, "c"), none()), "host_load") != nullptr;
  };
  EXPECT_FALSE(load_changed({1.9, 2.3, 2.1}));
  EXPECT_FALSE(load_changed({2.0, 2.5, 2.2}));
  EXPECT_TRUE(load_changed({2.3, 2.4, 2.3}));
  // Ranges that overlap can still be a busier host most of the time: medians 1.5 against 3.5.
  EXPECT_NE(change(check_regressions(loaded_runs({1.4, 1.5, 4.0}, 1, "b"), loaded_runs({3.0, 3.5, 4.0}, 11, "c"),
                                     none()),
                   "host_load"),
            nullptr);
  // The nightly reviewer's: one quiet baseline run among busy ones, every current run busier
  // (loads 0.77..6.74 against 6.23..6.79 on 2 CPUs). The buckets differ ("quiet | busy" against
  // "busy") and the ranges overlap, yet the medians are 1.9x apart: a change, not "unchanged".
  const auto mixed = check_regressions(loaded_runs({0.385, 0.8, 0.875, 0.9, 3.37}, 1, "b"),
                                       loaded_runs({3.115, 3.2, 3.33, 3.395}, 11, "c"), none());
  ASSERT_NE(change(mixed, "host_load"), nullptr);
  EXPECT_EQ(change(mixed, "host_load")->baseline, "quiet | busy, load per CPU 0.39..3.37, median 0.88 (2 CPUs)");
  EXPECT_EQ(change(mixed, "host_load")->current, "busy, load per CPU 3.12..3.40, median 3.27 (2 CPUs)");
  // ...and the same mix with medians close is one host.
  EXPECT_EQ(change(check_regressions(loaded_runs({0.385, 3.2, 3.3}, 1, "b"), loaded_runs({3.1, 3.25, 3.4}, 11, "c"),
                                     none()),
                   "host_load"),
            nullptr);
  // One run a side: the figures alone.
  const auto one = check_regressions(loaded_runs({1.4}, 1, "b"), loaded_runs({2.9}, 11, "c"), {});
  ASSERT_NE(change(one, "host_load"), nullptr);
  EXPECT_EQ(change(one, "host_load")->current, "busy, load per CPU 2.90 (2 CPUs)");
  EXPECT_TRUE(has_note(one, "all runs ran on a busy host (load per CPU 1.40 in the baseline, 2.90 in the current"));
  EXPECT_EQ(change(check_regressions(loaded_runs({1.4}, 1, "b"), loaded_runs({1.6}, 11, "c"), {}), "host_load"),
            nullptr);
  // Quiet on both sides, however far apart the figures: the CPUs are idle part of the time.
  const auto quiet = check_regressions(loaded_runs({0.05, 0.06, 0.05}, 1, "b"), loaded_runs({0.3, 0.35, 0.3}, 11, "c"),
                                       none());
  EXPECT_EQ(change(quiet, "host_load"), nullptr);
  EXPECT_FALSE(has_note(quiet, "busy host"));
  // One quiet run among busy ones: not every run was busy, no note.
  EXPECT_FALSE(has_note(check_regressions(loaded_runs({0.2, 2.3, 1.8}, 1, "b"), busier, none()), "busy host"));
}

// Another stopping rule (workload.timing) changes what a median is: listed like a new driver,
// "(not recorded)" for a file without one; a side whose runs differ in it is noted.
TEST(CompareEnvironment, TheTimingRuleIsPartOfTheEnvironment) {
  SyntheticRunSpec spec;
  LabeledResults base{"base.json", synthetic_run(spec)};
  spec.seed = 2;
  LabeledResults cur{"cur.json", synthetic_run(spec)};
  tb::results::TimingInfo t;
  t.noise = 0.005;
  t.min_samples = 10;
  t.max_samples = 10000;
  t.min_time_s = 0.5;
  t.max_time_s = 10;
  t.warmup = 3;
  t.budget_s = 0;
  base.results.workload.timing = t;
  cur.results.workload.timing = t;
  EXPECT_TRUE(check_regressions(base, cur, {}).environment.empty());
  cur.results.workload.timing->budget_s = 8;
  cur.results.workload.timing->noise = 0.02;
  cur.results.workload.timing->warmup = 1;
  const auto r = check_regressions(base, cur, {});
  ASSERT_EQ(r.environment.size(), 3u);
  EXPECT_EQ(r.environment[0].field, "timing.budget_s");
  EXPECT_EQ(r.environment[0].baseline, "0 (none)");
  EXPECT_EQ(r.environment[0].current, "8 s");
  EXPECT_EQ(r.environment[1].field, "timing.noise");
  EXPECT_EQ(r.environment[1].baseline, "0.005");
  EXPECT_EQ(r.environment[1].current, "0.02");
  EXPECT_EQ(r.environment[2].field, "timing.warmup");
  EXPECT_NE(format_regressions(r, TableFormat::Text).find("timing.budget_s: 0 (none) -> 8 s"), std::string::npos);
  // An older baseline without the field: each of them listed as not recorded (the throttle rule's
  // two among them: the current run, a CPU's or an older one's, has none either).
  base.results.workload.timing.reset();
  const auto older = check_regressions(base, cur, {});
  ASSERT_EQ(older.environment.size(), 9u);
  EXPECT_EQ(older.environment[0].baseline, "(not recorded)");
  EXPECT_EQ(older.environment[7].field, "timing.throttle_threshold");
  EXPECT_EQ(older.environment[7].current, "not applied");

  // A GPU run waiting out throttling beside an older one that kept throttled samples: listed.
  base.results.workload.timing = t;
  cur.results.workload.timing = t;
  cur.results.workload.timing->throttle_threshold = 0.75;
  cur.results.workload.timing->throttle_recovery_delay_s = 0.05;
  const auto rule = check_regressions(base, cur, {});
  ASSERT_EQ(rule.environment.size(), 2u);
  EXPECT_EQ(rule.environment[0].field, "timing.throttle_threshold");
  EXPECT_EQ(rule.environment[0].baseline, "not applied");
  EXPECT_EQ(rule.environment[0].current, "0.75");
  EXPECT_EQ(rule.environment[1].field, "timing.throttle_recovery_delay_s");
  EXPECT_EQ(rule.environment[1].baseline, "none");
  EXPECT_EQ(rule.environment[1].current, "0.05 s");

  // Within a side: noted, naming the files.
  std::vector<LabeledResults> bases, curs;
  for (uint32_t i = 0; i < 3; ++i) {
    SyntheticRunSpec s;
    s.seed = 1 + i;
    bases.push_back({fmt::format("b{}.json", i), synthetic_run(s)});
    s.seed = 11 + i;
    curs.push_back({fmt::format("c{}.json", i), synthetic_run(s)});
    bases.back().results.workload.timing = t;
    curs.back().results.workload.timing = t;
  }
  bases[2].results.workload.timing->budget_s = 8;
  const auto mixed = check_regressions(bases, curs, none());
  EXPECT_TRUE(has_note(mixed, "the baseline's runs were measured under different timing rules, timing.budget_s: "
                              "'0 (none)' (b0.json, b1.json), '8 s' (b2.json)"));
}

// The build and the CPU's frequency scaling are part of the machine: a Debug build tonight is
// listed beside a slowdown, as a new driver is; an older file's "" reads "(not recorded)".
TEST(CompareEnvironment, BuildTypeAndCpuScalingAreListed) {
  SyntheticRunSpec spec;
  LabeledResults base{"base.json", synthetic_run(spec)};
  spec.seed = 2;
  LabeledResults cur{"cur.json", synthetic_run(spec)};
  base.results.machine.build_type = cur.results.machine.build_type = "Release";
  EXPECT_TRUE(check_regressions(base, cur, {}).environment.empty());
  cur.results.machine.build_type = "Debug";
  cur.results.machine.cpu_scaling_enabled = true;
  const auto r = check_regressions(base, cur, {});
  const EnvironmentChange* build = change(r, "build_type");
  ASSERT_NE(build, nullptr);
  EXPECT_EQ(build->baseline, "Release");
  EXPECT_EQ(build->current, "Debug");
  const EnvironmentChange* scaling = change(r, "cpu_scaling_enabled");
  ASSERT_NE(scaling, nullptr);
  EXPECT_EQ(scaling->current, "true");
  EXPECT_NE(format_regressions(r, TableFormat::Text).find("build_type: Release -> Debug"), std::string::npos);
}

// A run against itself can only pass: refused, whether one file is given twice or copied under
// another name (same start, host and timings); two runs of one second with their own timings are
// two runs.
TEST(CompareEnvironment, TheSameRunOnBothSidesIsRefused) {
  SyntheticRunSpec spec;
  const LabeledResults base{"base-1.json", synthetic_run(spec)};
  const LabeledResults copy{"copy-of-base-1.json", base.results};
  try {
    check_regressions(base, copy, {});
    ADD_FAILURE() << "a run compared with itself passed";
  } catch (const tb::UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("base-1.json (baseline) and copy-of-base-1.json (current) are the same run"), std::string::npos)
        << m;
    EXPECT_NE(m.find("cannot fail"), std::string::npos) << m;
  }
  // Among several runs a side, one of them on both.
  spec.seed = 2;
  const LabeledResults other{"base-2.json", synthetic_run(spec)};
  spec.seed = 12;
  const LabeledResults tonight{"tonight-1.json", synthetic_run(spec)};
  EXPECT_THROW(check_regressions(std::vector<LabeledResults>{base, other}, std::vector<LabeledResults>{tonight, copy},
                                 {}),
               tb::UsageError);
  auto same_second = tonight;
  same_second.results.machine.utc_time = base.results.machine.utc_time;
  EXPECT_NO_THROW(check_regressions(base, same_second, {}));
}
