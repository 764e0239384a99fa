// `compare` and its gate on `trainbench comm` files, on SYNTHETIC comm results whose busbw is set
// by hand: rows per (collective, size, dtype) with nccl-tests' time, algbw and busbw, busbw B/A,
// % of the link only where a config states it, no extrapolation; the gate judges each row's time
// and shows its busbw; a comm file beside a run file is refused.
#include <gtest/gtest.h>

#include "harness/compare/comm_side_by_side.hpp"
#include "harness/compare/format.hpp"
#include "harness/compare/gate_error.hpp"
#include "harness/compare/regression.hpp"
#include "harness/compare/regression_json.hpp"
#include "harness/hardware/site_config.hpp"
#include "tests/report/synthetic_comm.hpp"
#include "tests/report/synthetic_results.hpp"

using namespace tb::compare;
using tb::comm::Collective;
using tb::testing::synthetic_comm_run;
using tb::testing::SyntheticCommSpec;

namespace {

SyntheticCommSpec exact(double busbw_gb_s) {
  SyntheticCommSpec s;
  s.busbw_gb_s = busbw_gb_s;
  s.sample_rel_stddev = 0;  // every sample the same: figures known by hand
  s.samples = 5;
  return s;
}

LabeledResults labeled(const SyntheticCommSpec& spec, const std::string& origin) {
  return {origin, synthetic_comm_run(spec)};
}

}  // namespace

// 2 ranks: all-reduce's factor 2(n-1)/n = 1, all-gather's (n-1)/n = 1/2. A at busbw 10 GB/s:
// 1 MiB all-reduce 1,048,576 B / 10e9 B/s = 104.8576 us, algbw 10; all-gather's algbw 20,
// 52.4288 us. B at 20 GB/s: half the times, busbw ratio 2.
TEST(CompareComm, RowsPerCollectiveSizeAndDtypeWithNcclTestsColumns) {
  SyntheticCommSpec b = exact(20);
  b.seed = 2;
  const auto c = build_comm_side_by_side({labeled(exact(10), "a.json"), labeled(b, "b.json")}, std::nullopt);
  ASSERT_EQ(c.runs.size(), 2u);
  ASSERT_EQ(c.rows.size(), 4u);  // allreduce and allgather at 1 MiB and 64 MiB
  const CommRow& ar = c.rows[0];
  EXPECT_EQ(ar.op, "allreduce");
  EXPECT_EQ(ar.bytes, 1 << 20);
  EXPECT_EQ(ar.dtype, "bf16");
  EXPECT_NEAR(ar.cells[0].time_us, 104.8576, 1e-9);
  EXPECT_NEAR(ar.cells[0].algbw_gb_s, 10, 1e-9);
  EXPECT_NEAR(ar.cells[0].busbw_gb_s, 10, 1e-9);
  EXPECT_NEAR(ar.cells[1].time_us, 52.4288, 1e-9);
  const CommRow& ag = c.rows[2];
  EXPECT_EQ(ag.op, "allgather");
  EXPECT_NEAR(ag.cells[0].time_us, 52.4288, 1e-9);
  EXPECT_NEAR(ag.cells[0].algbw_gb_s, 20, 1e-9);
  EXPECT_NEAR(ag.cells[0].busbw_gb_s, 10, 1e-9);
  // No SKU, no link: no percentage at all, never 0.0.
  EXPECT_FALSE(c.runs[0].link.has_value());
  EXPECT_FALSE(ar.cells[0].pct_of_link.has_value());

  const std::string text = format_comm_side_by_side(c, TableFormat::Text);
  for (const char* column : {"A time (us)", "A algbw (GB/s)", "A busbw (GB/s)", "B busbw (GB/s)", "B/A busbw"})
    EXPECT_NE(text.find(column), std::string::npos) << column << "\n" << text;
  EXPECT_EQ(text.find("% link"), std::string::npos) << text;
  EXPECT_EQ(text.find("% peak"), std::string::npos) << text;
  EXPECT_EQ(text.find("TFLOP/s"), std::string::npos) << text;
  EXPECT_NE(text.find("104.86"), std::string::npos) << text;
  EXPECT_NE(text.find("2.00x"), std::string::npos) << text;
  // One line why there is no extrapolation, no empty table.
  EXPECT_NE(text.find("no extrapolation: comm files measure collectives"), std::string::npos) << text;
  EXPECT_EQ(text.find("PF-days"), std::string::npos) << text;

  const auto j = comm_side_by_side_json(c);
  EXPECT_EQ(j["kind"], "comm");
  EXPECT_TRUE(j["extrapolation"].is_null());
  EXPECT_NEAR(j["rows"][0]["cells"][1]["busbw_vs_a"].get<double>(), 2.0, 1e-9);
  EXPECT_TRUE(j["rows"][0]["cells"][0]["busbw_vs_a"].is_null());
  EXPECT_TRUE(j["rows"][0]["cells"][0]["pct_of_link"].is_null());
}

// h100-sxm states NVLink 450 GB/s within a node and 50 GB/s per GPU across: busbw 225 on one host
// is 50%, busbw 25 across two hosts 50%. A file of no SKU has no % column.
TEST(CompareComm, PercentOfTheLinkOnlyWhereAConfigStatesIt) {
  SyntheticCommSpec nvlink = exact(225);
  nvlink.backend = "nccl";
  nvlink.sku = "h100-sxm";
  nvlink.device_name = "NVIDIA H100 80GB HBM3 (synthetic test data)";
  SyntheticCommSpec ib = nvlink;
  ib.busbw_gb_s = 25;
  ib.hosts = 2;
  ib.seed = 2;
  SyntheticCommSpec host = exact(10);
  host.seed = 3;
  const auto c = build_comm_side_by_side({labeled(nvlink, "nvlink.json"), labeled(ib, "ib.json"), labeled(host, "host.json")},
                                         std::nullopt);
  ASSERT_TRUE(c.runs[0].link.has_value());
  EXPECT_DOUBLE_EQ(c.runs[0].link->gb_s, 450);
  ASSERT_TRUE(c.runs[1].link.has_value());
  EXPECT_DOUBLE_EQ(c.runs[1].link->gb_s, 50);
  EXPECT_NEAR(*c.rows[0].cells[0].pct_of_link, 50.0, 1e-9);
  EXPECT_NEAR(*c.rows[0].cells[1].pct_of_link, 50.0, 1e-9);
  EXPECT_FALSE(c.runs[2].link.has_value());
  EXPECT_EQ(c.runs[2].why_no_link, "no SKU config matched its device");
  const std::string text = format_comm_side_by_side(c, TableFormat::Markdown);
  EXPECT_NE(text.find("A % link"), std::string::npos) << text;
  EXPECT_NE(text.find("B % link"), std::string::npos) << text;
  EXPECT_EQ(text.find("C % link"), std::string::npos) << text;
  EXPECT_NE(text.find("| 50.0 |"), std::string::npos) << text;

  // One rank crosses no link, whatever its SKU.
  SyntheticCommSpec one = nvlink;
  one.ranks = 1;
  const auto single = build_comm_side_by_side({labeled(one, "one.json"), labeled(nvlink, "two.json")}, std::nullopt);
  EXPECT_FALSE(single.runs[0].link.has_value());
  EXPECT_EQ(single.runs[0].why_no_link, "one rank crosses no link");
}

// A site's network is the inter-node link (estimate's rule): a100-1024 states 25 GB/s per GPU.
TEST(CompareComm, ASitesNetworkIsTheLinkAcrossHosts) {
  SyntheticCommSpec across = exact(5);
  across.hosts = 2;
  SyntheticCommSpec within = exact(5);
  within.seed = 2;
  const auto c = build_comm_side_by_side({labeled(across, "across.json"), labeled(within, "within.json")},
                                         tb::load_site("a100-1024"));
  ASSERT_TRUE(c.runs[0].link.has_value());
  EXPECT_DOUBLE_EQ(c.runs[0].link->gb_s, 25);
  EXPECT_EQ(c.runs[0].link->source, "site a100-1024, inter-node (2 hosts)");
  EXPECT_NEAR(*c.rows[0].cells[0].pct_of_link, 20.0, 1e-9);
  EXPECT_FALSE(c.runs[1].link.has_value());  // one host: the site's fabric is not its link
}

TEST(CompareComm, ACommFileBesideARunFileIsRefusedWhateverTheFlags) {
  const LabeledResults comm = labeled(exact(10), "comm.json");
  const LabeledResults run{"run.json", tb::testing::synthetic_run({})};
  try {
    build_comm_side_by_side({comm, run}, std::nullopt);
    FAIL() << "a comm file beside a run file was compared";
  } catch (const GateRefusal& e) {
    EXPECT_EQ(e.kind(), GateErrorKind::Incomparable);
    const std::string m = e.what();
    EXPECT_NE(m.find("comm.json is a `trainbench comm` file"), std::string::npos) << m;
    EXPECT_NE(m.find("run.json a `trainbench run` file"), std::string::npos) << m;
  }
  RegressionOptions o;
  o.compatibility = {true, true};  // --allow-different-device --allow-different-shapes
  for (const auto& [base, cur] : {std::pair{comm, run}, std::pair{run, comm}}) {
    try {
      check_regressions(base, cur, o);
      FAIL() << "the gate compared " << base.origin << " with " << cur.origin;
    } catch (const GateRefusal& e) {
      EXPECT_EQ(e.kind(), GateErrorKind::Incomparable);
      EXPECT_NE(std::string(e.what()).find("is a `trainbench comm` file"), std::string::npos) << e.what();
    }
  }
}

// The gate judges each row's time with the kernels' rules (here the U test on 20 samples a side)
// and shows busbw: 20% slower is busbw 10 / 1.2 = 8.33 GB/s.
TEST(CompareComm, TheGateJudgesEachRowsTimeAndShowsItsBusbw) {
  SyntheticCommSpec base;
  base.busbw_gb_s = 10;
  SyntheticCommSpec slow = base;
  slow.seed = 2;
  slow.slowdown = 0.20;
  const RegressionReport r = check_regressions(labeled(base, "base.json"), labeled(slow, "slow.json"), {});
  ASSERT_EQ(r.items.size(), 4u);  // no step in a comm file
  for (const auto& i : r.items) {
    EXPECT_EQ(i.rule, "u-test") << i.key;
    EXPECT_EQ(i.verdict, Verdict::Slower) << i.key;
    ASSERT_TRUE(i.baseline_busbw_gb_s && i.current_busbw_gb_s) << i.key;
    // busbw x time is factor x size on both sides.
    EXPECT_NEAR(*i.baseline_busbw_gb_s * i.baseline_ms, *i.current_busbw_gb_s * i.current_ms, 1e-9 * i.baseline_ms);
    EXPECT_NEAR(*i.current_busbw_gb_s / *i.baseline_busbw_gb_s, 1 / (1 + i.change), 1e-12);
    EXPECT_NEAR(*i.current_busbw_gb_s, 10 / 1.2, 0.5) << i.key;
  }
  EXPECT_EQ(r.verdict(), "regression");
  const std::string text = format_regressions(r, TableFormat::Text);
  EXPECT_NE(text.find("baseline busbw (GB/s)"), std::string::npos) << text;
  EXPECT_NE(text.find("current busbw (GB/s)"), std::string::npos) << text;
  const auto j = to_json(r);
  EXPECT_TRUE(j["items"][0].contains("baseline_busbw_gb_s"));

  // Another night of the same link: no regression.
  SyntheticCommSpec again = base;
  again.seed = 3;
  const RegressionReport same = check_regressions(labeled(base, "base.json"), labeled(again, "again.json"), {});
  EXPECT_EQ(same.regressions(), 0);
}

// nccl-tests' in-place measurement is a row of its own, matched with the other file's in-place
// one, and "-" where a file (an older one) has none.
TEST(CompareComm, InPlaceEntriesAreRowsOfTheirOwn) {
  SyntheticCommSpec a = exact(10);
  a.in_place = true;
  SyntheticCommSpec b = exact(20);
  b.in_place = true;
  b.seed = 2;
  SyntheticCommSpec old = exact(10);
  old.seed = 3;
  const auto c = build_comm_side_by_side({labeled(a, "a.json"), labeled(b, "b.json"), labeled(old, "old.json")},
                                         std::nullopt);
  ASSERT_EQ(c.rows.size(), 8u);  // 2 collectives x 2 sizes x 2 placements
  EXPECT_FALSE(c.rows[0].in_place);
  EXPECT_TRUE(c.rows[1].in_place);
  EXPECT_EQ(c.rows[1].op, "allreduce");
  EXPECT_EQ(c.rows[1].bytes, 1 << 20);
  EXPECT_TRUE(c.rows[1].cells[1].present);
  EXPECT_FALSE(c.rows[1].cells[2].present);
  EXPECT_TRUE(c.rows[0].cells[2].present);
  const std::string text = format_comm_side_by_side(c, TableFormat::Text);
  EXPECT_NE(text.find("allreduce (in place)"), std::string::npos) << text;
  EXPECT_TRUE(comm_side_by_side_json(c)["rows"][1]["in_place"].get<bool>());
}
