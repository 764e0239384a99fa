// `trainbench health`'s judgement on synthetic batteries: what passes, what is suspect and why,
// what fails, and when there is nothing to judge against.
#include <gtest/gtest.h>

#include <vector>

#include "harness/hardware/sku_config.hpp"
#include "harness/health/config_checks.hpp"
#include "harness/health/health_check.hpp"
#include "harness/health/peer_checks.hpp"

namespace tb::health {
namespace {

results::KernelResult gemm(double tflops, double rel_noise = 0.005) {
  results::KernelResult k;
  k.name = "health.gemm";
  k.kind = "gemm";
  k.shape = "8192x8192x8192 fwd";
  k.dtype = "bf16";
  k.tflops = tflops;
  k.verified = true;
  k.stats.rel_noise = rel_noise;
  k.stats.samples = 20;
  return k;
}

results::KernelResult stream(double gbps) {
  results::KernelResult k;
  k.name = "health.stream";
  k.kind = "residual_add";
  k.shape = "16384x8192";
  k.dtype = "bf16";
  k.gbps = gbps;
  k.verified = true;
  k.stats.rel_noise = 0.004;
  k.stats.samples = 20;
  return k;
}

results::ClockSummary steady_clocks() {
  results::ClockSummary c;
  c.sm_clock_mhz_min = 1755;
  c.sm_clock_mhz_max = 1980;
  c.power_w_max = 690;
  return c;
}

Inputs h100(double best_tflops, double gbps) {
  Inputs in;
  in.gemms = {gemm(0.9 * best_tflops), gemm(best_tflops), gemm(0.95 * best_tflops)};
  in.streaming = {stream(gbps)};
  for (auto& k : in.gemms) k.clocks = steady_clocks();
  in.streaming[0].clocks = steady_clocks();
  in.sku = load_sku("h100-sxm");
  in.gemm_dtype = "bf16";
  return in;
}

const Check& check(const Report& r, const std::string& id) {
  for (const auto& c : r.checks)
    if (c.id == id) return c;
  throw std::runtime_error("no check " + id);
}

TEST(HealthCheck, HealthyH100Passes) {
  const Report r = evaluate(h100(780, 3000));
  EXPECT_EQ(r.verdict, Status::Pass);
  const Check& g = check(r, "gemm");
  EXPECT_EQ(g.status, Status::Pass);
  EXPECT_DOUBLE_EQ(g.measured, 780);   // the best of the three, not the first
  EXPECT_DOUBLE_EQ(best_gemm_tflops(h100(780, 3000)), 780);
  EXPECT_DOUBLE_EQ(best_stream_gbps(h100(780, 3000)), 3000);
  EXPECT_DOUBLE_EQ(g.reference, 795);  // the SKU's sustained figure, not the 989 datasheet peak
  EXPECT_NE(g.detail.find("98%"), std::string::npos) << g.detail;
  EXPECT_NE(g.detail.find("mamf-finder"), std::string::npos) << g.detail;
  const Check& bw = check(r, "memory_bandwidth");
  EXPECT_EQ(bw.status, Status::Pass);
  EXPECT_DOUBLE_EQ(bw.reference, 3350);
  EXPECT_EQ(check(r, "clocks").status, Status::Pass);
  EXPECT_EQ(check(r, "results").status, Status::Pass);
}

TEST(HealthCheck, SlowGemmOrBandwidthIsSuspectAtTheThresholds) {
  // 0.90 × 795 = 715.5 TFLOP/s; 0.75 × 3350 = 2512.5 GB/s.
  EXPECT_EQ(check(evaluate(h100(716, 3000)), "gemm").status, Status::Pass);
  EXPECT_EQ(check(evaluate(h100(715, 3000)), "gemm").status, Status::Suspect);
  EXPECT_EQ(check(evaluate(h100(780, 2513)), "memory_bandwidth").status, Status::Pass);
  const Report slow_memory = evaluate(h100(780, 2000));
  EXPECT_EQ(check(slow_memory, "memory_bandwidth").status, Status::Suspect);
  EXPECT_EQ(slow_memory.verdict, Status::Suspect);
  Thresholds lenient;
  lenient.bandwidth_vs_datasheet = 0.5;
  EXPECT_EQ(evaluate(h100(780, 2000), lenient).verdict, Status::Pass);
}

TEST(HealthCheck, ClockDropIsSuspectAndNamesTheReasons) {
  Inputs in = h100(780, 3000);
  in.gemms[1].clocks->clock_dropped = true;
  in.gemms[1].clocks->sm_clock_mhz_min = 1100;
  in.gemms[1].clocks->throttle_reasons = "hw_slowdown";
  const Report r = evaluate(in);
  const Check& c = check(r, "clocks");
  EXPECT_EQ(c.status, Status::Suspect);
  EXPECT_DOUBLE_EQ(c.measured, 1100);
  EXPECT_NE(c.detail.find("hw_slowdown"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find("8192x8192x8192"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find("below 75% of its maximum"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find("throttled samples kept: the wait for recovery ran out"), std::string::npos) << c.detail;
  EXPECT_EQ(r.verdict, Status::Suspect);
}

// Throttling waited out (samples discarded and retaken, none kept) is still throttling under
// load: suspect, with each kernel's count; the threshold named is the one measured under.
TEST(HealthCheck, DiscardedThrottledSamplesAreSuspectAndCounted) {
  Inputs in = h100(780, 3000);
  in.throttle_threshold = 0.8;
  in.gemms[2].clocks->throttled_samples_discarded = 3;
  in.streaming[0].clocks->throttled_samples_discarded = 1;
  in.gemms[2].clocks->throttle_reasons = "hw_thermal_slowdown";
  const Report r = evaluate(in);
  const Check& c = check(r, "clocks");
  EXPECT_EQ(c.status, Status::Suspect);
  EXPECT_NE(c.detail.find("below 80% of its maximum"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find("health.gemm 8192x8192x8192 fwd (3 throttled samples discarded and retaken)"),
            std::string::npos)
      << c.detail;
  EXPECT_NE(c.detail.find("health.stream 16384x8192 (1 throttled sample discarded and retaken)"), std::string::npos)
      << c.detail;
  EXPECT_NE(c.detail.find("hw_thermal_slowdown"), std::string::npos) << c.detail;
  EXPECT_EQ(c.detail.find("throttled samples kept"), std::string::npos) << "none were kept: " << c.detail;
  EXPECT_EQ(r.verdict, Status::Suspect);
  // Without discards or drops the same battery passes.
  in.gemms[2].clocks->throttled_samples_discarded = 0;
  in.streaming[0].clocks->throttled_samples_discarded = 0;
  EXPECT_EQ(check(evaluate(in), "clocks").status, Status::Pass);
}

TEST(HealthCheck, WrongOrMissingResultsFail) {
  Inputs in = h100(780, 3000);
  in.gemms[0].status = "failed";
  in.gemms[0].verified = false;
  in.gemms[0].error = "C[0][0] = 3 vs 1";
  in.streaming[0].status = "oom";
  in.streaming[0].error = "needs 9 GB";
  const Report r = evaluate(in);
  const Check& c = check(r, "results");
  EXPECT_EQ(c.status, Status::Fail);
  EXPECT_NE(c.detail.find("2 of 4"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find("C[0][0]"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find("oom"), std::string::npos) << c.detail;
  EXPECT_EQ(r.verdict, Status::Fail);
  // The failed GEMM is not the "best": the verified ones are judged.
  EXPECT_DOUBLE_EQ(check(r, "gemm").measured, 780);
}

// Another process on the host is shown with its figures, never judged (a CI runner checking
// itself beside its other tests must not fail on it).
TEST(HealthCheck, ABusyHostIsNamedButNotJudged) {
  Inputs in = h100(780, 3000);
  in.load_avg_1m = 3.0;
  in.host_cpus = 4;
  const Report busy = evaluate(in);
  EXPECT_EQ(check(busy, "load").status, Status::Info);
  EXPECT_NE(check(busy, "load").detail.find("host BUSY: load average 3.00 over 4"), std::string::npos);
  in.load_avg_1m = 1.9;  // below half the CPUs
  EXPECT_NE(check(evaluate(in), "load").detail.find("host quiet"), std::string::npos);
  EXPECT_TRUE(host_busy(2.0, 4));
  EXPECT_FALSE(host_busy(std::nullopt, 4));
}

// Ctrl-C is no fault of the machine: the kernels it stopped are unmeasured, not failed, and the
// verdict rests on the rest (a healthy H100's GEMMs still pass).
TEST(HealthCheck, InterruptedKernelsAreUnmeasuredNotFailed) {
  Inputs in = h100(780, 3000);
  in.streaming[0].status = "interrupted";
  in.streaming[0].verified = false;
  const Report r = evaluate(in);
  const Check& c = check(r, "results");
  EXPECT_EQ(c.status, Status::Info);
  EXPECT_NE(c.detail.find("not measured to the end (interrupted)"), std::string::npos) << c.detail;
  EXPECT_NE(r.verdict, Status::Fail);
  in.gemms[0].status = "failed";  // ...but a real failure beside it still fails
  EXPECT_EQ(evaluate(in).verdict, Status::Fail);
  // A kernel skipped because the device was lost earlier is a failure, not an interruption.
  Inputs lost = h100(780, 3000);
  lost.streaming[0].status = "skipped";
  lost.streaming[0].verified = false;
  lost.streaming[0].error = "not measured: the device became unusable earlier (Xid 79); rerun in a new process";
  EXPECT_EQ(evaluate(lost).verdict, Status::Fail);
}

TEST(HealthCheck, WithoutASustainedFigureTheDatasheetPeakIsUsedLoosely) {
  Inputs in = h100(500, 1800);
  in.sku = load_sku("h100-pcie");  // 756 bf16 peak, no sustained figure
  const Report r = evaluate(in);
  const Check& g = check(r, "gemm");
  EXPECT_EQ(g.status, Status::Pass);  // 500 / 756 = 66% >= 60%
  EXPECT_NEAR(g.reference, 0.6 * in.sku->peak_tflops_for(DType::BF16), 1e-9);
  EXPECT_NE(g.detail.find("no sustained figure"), std::string::npos) << g.detail;
  EXPECT_EQ(check(evaluate([&] {
                      Inputs slow = in;
                      for (auto& k : slow.gemms) k.tflops = 300;
                      return slow;
                    }()),
                  "gemm")
                .status,
            Status::Suspect);
}

TEST(HealthCheck, NothingToJudgeAgainstGivesInfoNotPass) {
  Inputs cpu = h100(0.15, 20);
  cpu.peaks_estimated = true;
  for (auto& k : cpu.gemms) k.clocks.reset();
  cpu.streaming[0].clocks.reset();
  const Report r = evaluate(cpu);
  EXPECT_EQ(check(r, "gemm").status, Status::Info);
  EXPECT_EQ(check(r, "memory_bandwidth").status, Status::Info);
  EXPECT_EQ(check(r, "clocks").status, Status::Info);
  EXPECT_EQ(r.verdict, Status::Info);
  // A CPU's noise is how busy the machine is: shown, never a finding, however large.
  cpu.gemms[0].stats.rel_noise = 1.5;
  EXPECT_EQ(check(evaluate(cpu), "noise").status, Status::Info);
  EXPECT_EQ(evaluate(cpu).verdict, Status::Info);

  Inputs unknown = h100(700, 3000);
  unknown.sku.reset();
  EXPECT_EQ(evaluate(unknown).verdict, Status::Info);
  EXPECT_NE(check(evaluate(unknown), "gemm").detail.find("--sku"), std::string::npos);
}

// A CPU battery as health measures one: no clocks, the pseudo-SKU's estimated peaks.
Inputs cpu_battery(double best_tflops, double gbps) {
  Inputs in = h100(best_tflops, gbps);
  in.sku = SkuConfig{};
  in.sku->name = "cpu-estimated";
  in.peaks_estimated = true;
  in.cpu_backend = true;
  in.gemm_dtype = "fp32";
  for (auto& k : in.gemms) k.clocks.reset(), k.dtype = "fp32";
  in.streaming[0].clocks.reset();
  in.load_avg_1m = 0.3;
  in.host_cpus = 2;
  return in;
}

RememberedCpuPeaks remembered(double gemm_tflops, double stream_gbps) {
  return {gemm_tflops, stream_gbps, "/cache/peaks.json"};
}

// With figures an earlier run measured on this machine, a CPU is judged against them: best GEMM
// and streaming each against half (cpu_vs_remembered) of the best measured here, at its edge.
TEST(HealthCheck, ACpuWithRememberedPeaksIsJudgedAgainstThem) {
  Inputs in = cpu_battery(0.20, 30);
  in.remembered = remembered(0.21, 34);  // 95% and 88%: a quiet, healthy host
  Report r = evaluate(in);
  EXPECT_EQ(check(r, "gemm").status, Status::Pass) << check(r, "gemm").detail;
  EXPECT_EQ(check(r, "memory_bandwidth").status, Status::Pass) << check(r, "memory_bandwidth").detail;
  EXPECT_EQ(r.verdict, Status::Pass);
  EXPECT_DOUBLE_EQ(check(r, "memory_bandwidth").reference, 34);
  EXPECT_DOUBLE_EQ(check(r, "gemm").reference, 0.21);
  EXPECT_NE(check(r, "gemm").detail.find("95% of the best fp32 GEMM health measured on this machine"),
            std::string::npos)
      << check(r, "gemm").detail;
  EXPECT_NE(check(r, "gemm").detail.find("/cache/peaks.json"), std::string::npos) << check(r, "gemm").detail;
  // Just above the threshold: pass; just below: suspect. 68% of the best (a quiet VM's spread)
  // passes.
  const Thresholds t;
  ASSERT_DOUBLE_EQ(t.cpu_vs_remembered, 0.5);
  in.remembered = remembered(0.20 / 0.68, 30 / 0.68);
  EXPECT_EQ(evaluate(in).verdict, Status::Pass);
  in.remembered = remembered(0.20 / t.cpu_vs_remembered * 0.99, 30 / t.cpu_vs_remembered * 0.99);
  EXPECT_EQ(evaluate(in).verdict, Status::Pass);
  in.remembered = remembered(0.20 / t.cpu_vs_remembered * 1.01, 30 / t.cpu_vs_remembered * 1.01);
  r = evaluate(in);
  EXPECT_EQ(check(r, "gemm").status, Status::Suspect);
  EXPECT_EQ(check(r, "memory_bandwidth").status, Status::Suspect);
  EXPECT_EQ(r.verdict, Status::Suspect);
  // Quiet host, quiet samples: the machine itself is slower than it was.
  EXPECT_NE(check(r, "gemm").detail.find("the host was quiet"), std::string::npos) << check(r, "gemm").detail;
}

// The reviewer's busy host: streaming at 26% of the machine's own bandwidth, noise 768%. Load is
// never judged (docs/health.md): info, not judged, with "busy host" as the reason, whether the
// load average saw it or only the noise did; the same shortfall on a quiet host is suspect.
TEST(HealthCheck, ABusyCpuBelowItsRememberedPeaksSaysBusyHostAndIsNotJudged) {
  Inputs in = cpu_battery(0.20, 0.26 * 34);
  in.remembered = remembered(0.21, 34);
  in.gemms[1].stats.rel_noise = 7.68;
  in.load_avg_1m = 0.4;  // the 1-minute average had not caught up with the loop started before it
  Report r = evaluate(in);
  EXPECT_NE(r.verdict, Status::Suspect);
  const Check& bw = check(r, "memory_bandwidth");
  EXPECT_EQ(bw.status, Status::Info);
  EXPECT_NE(bw.detail.find("26%"), std::string::npos) << bw.detail;
  EXPECT_NE(bw.detail.find("not judged: busy host: its kernels' noise reached 768%"), std::string::npos) << bw.detail;
  EXPECT_EQ(check(r, "noise").status, Status::Info);  // the noise is the reason, still not a finding itself
  in.gemms[1].stats.rel_noise = 0.01;
  in.load_avg_1m = 3.1;
  r = evaluate(in);
  EXPECT_EQ(check(r, "memory_bandwidth").status, Status::Info);
  EXPECT_NE(check(r, "memory_bandwidth").detail.find("busy host: load average 3.10 over 2 logical CPUs"),
            std::string::npos)
      << check(r, "memory_bandwidth").detail;
  in.load_avg_1m = 0.3;  // quiet: the same 26% is the machine's own
  r = evaluate(in);
  EXPECT_EQ(check(r, "memory_bandwidth").status, Status::Suspect);
  EXPECT_EQ(r.verdict, Status::Suspect);
  EXPECT_NE(check(r, "memory_bandwidth").detail.find("the host was quiet"), std::string::npos);
}

// A best GEMM more than 10x below the remembered one (a BLAS on one thread of sixteen) is suspect
// on any host, busy or not: no load explains it.
// The reviewer's busy host: the GEMM at 31% of the best remembered, not judged (busy host), the
// triad passing. The unjudged shortfall caps the verdict at info: "pass" would say the GEMM was
// checked. On a quiet host the same shortfall is suspect, and without it the verdict is pass.
TEST(HealthCheck, AnUnjudgedShortfallOnABusyHostCapsTheVerdictAtInfo) {
  Inputs in = cpu_battery(0.31 * 0.21, 30);
  in.remembered = remembered(0.21, 34);
  in.load_avg_1m = 3.1;
  Report r = evaluate(in);
  EXPECT_EQ(check(r, "gemm").status, Status::Info);
  EXPECT_NE(check(r, "gemm").detail.find("31% of the best"), std::string::npos) << check(r, "gemm").detail;
  EXPECT_NE(check(r, "gemm").detail.find("not judged: busy host"), std::string::npos) << check(r, "gemm").detail;
  EXPECT_EQ(check(r, "memory_bandwidth").status, Status::Pass);
  EXPECT_EQ(r.verdict, Status::Info);
  in.load_avg_1m = 0.3;
  EXPECT_EQ(evaluate(in).verdict, Status::Suspect);
  in.gemms[0].tflops = 0.20;  // the best GEMM back at 95%: nothing left unjudged
  in.load_avg_1m = 3.1;
  EXPECT_EQ(evaluate(in).verdict, Status::Pass);
}

TEST(HealthCheck, ACpuFarBelowItsRememberedGemmIsSuspectEvenWhenBusy) {
  Inputs in = cpu_battery(0.17, 30);
  in.remembered = remembered(0, 34);
  in.remembered->gemm_far_above = 4.0;
  in.load_avg_1m = 3.1;
  const Report r = evaluate(in);
  EXPECT_EQ(check(r, "gemm").status, Status::Suspect) << check(r, "gemm").detail;
  EXPECT_DOUBLE_EQ(check(r, "gemm").reference, 4.0);
  EXPECT_NE(check(r, "gemm").detail.find("is 24x below the best fp32 GEMM"), std::string::npos)
      << check(r, "gemm").detail;
  EXPECT_EQ(r.verdict, Status::Suspect);
}

// Only what was remembered is judged: a clock remembered without a triad judges the GEMM alone, and
// nothing remembered (a first run, TB_PEAK_CACHE=off) stays info, however slow.
TEST(HealthCheck, ACpuIsJudgedOnlyOnWhatWasRemembered) {
  Inputs in = cpu_battery(0.20, 0.26 * 34);
  in.sku->memory_bandwidth_tb_s = 0.034;
  in.remembered = remembered(0.21, 0);
  Report r = evaluate(in);
  EXPECT_EQ(check(r, "gemm").status, Status::Pass);
  EXPECT_EQ(check(r, "memory_bandwidth").status, Status::Info);
  EXPECT_NE(check(r, "memory_bandwidth").detail.find("shown, not judged"), std::string::npos);
  // Half the machine judged is no "pass": the bandwidth was shown, not judged.
  EXPECT_EQ(r.verdict, Status::Info);
  // The first health run after a `run` remembered the triad alone: the GEMM shown, not judged, and
  // the bandwidth passing does not make the verdict "pass" either.
  in.remembered = remembered(0, 34);
  in.streaming[0].gbps = 30;
  r = evaluate(in);
  EXPECT_EQ(check(r, "gemm").status, Status::Info);
  EXPECT_EQ(check(r, "memory_bandwidth").status, Status::Pass);
  EXPECT_EQ(r.verdict, Status::Info);
  in.remembered.reset();
  r = evaluate(in);
  EXPECT_EQ(check(r, "gemm").status, Status::Info);
  EXPECT_EQ(r.verdict, Status::Info);
  // --sku over the CPU: the datasheet judges, the remembered peaks do not enter.
  Inputs sku = cpu_battery(0.20, 30);
  sku.sku = load_sku("h100-sxm");
  sku.peaks_estimated = false;
  sku.gemm_dtype = "bf16";
  sku.remembered = remembered(0.21, 34);
  EXPECT_EQ(check(evaluate(sku), "gemm").status, Status::Suspect);
  EXPECT_EQ(check(evaluate(sku), "gemm").detail.find("/cache/peaks.json"), std::string::npos);
}

TEST(HealthCheck, NoisyTimingsAreSuspect) {
  Inputs in = h100(780, 3000);
  in.gemms[2].stats.rel_noise = 0.08;
  const Check c = check(evaluate(in), "noise");
  EXPECT_EQ(c.status, Status::Suspect);
  EXPECT_DOUBLE_EQ(c.measured, 8);
}

// Sampled once, a kernel's rel_noise of 0 is unknown noise: said so, never "quiet".
TEST(HealthCheck, OneSampleIsUnknownNoiseNotQuiet) {
  Inputs in = h100(780, 3000);
  in.gemms[1].stats.samples = 1;
  in.gemms[1].stats.rel_noise = 0;
  const Check c = check(evaluate(in), "noise");
  EXPECT_EQ(c.status, Status::Info);
  EXPECT_NE(c.detail.find("sampled once: its noise is unknown"), std::string::npos) << c.detail;
}

// 200 samples of a quiet GEMM: ±0.5% around 1 ms, spread evenly.
std::vector<double> quiet_samples_ms() {
  std::vector<double> s;
  for (int i = 0; i < 200; ++i) s.push_back(1.0 + 0.005 * ((i * 7) % 11 - 5) / 5.0);
  return s;
}

Inputs with_samples(const std::vector<double>& samples_ms) {
  Inputs in = h100(780, 3000);
  in.gemms[1].samples_ms = samples_ms;
  in.gemms[1].stats = timing::summarize(samples_ms);
  return in;
}

TEST(HealthSpikes, AQuietRunPasses) {
  const Check c = check(evaluate(with_samples(quiet_samples_ms())), "spikes");
  EXPECT_EQ(c.status, Status::Pass) << c.detail;
  EXPECT_LT(c.measured, 1.0);  // p90 under 1% above the median
}

// A GPU whose clocks dip a fifth of the time: the median and its robust noise stay put, and the
// spikes check names the kernel.
TEST(HealthSpikes, OneFifthOfSamplesAtOneAndAHalfTimesIsSuspect) {
  std::vector<double> s = quiet_samples_ms();
  for (size_t i = 0; i < s.size(); i += 5) s[i] *= 1.5;
  const Inputs in = with_samples(s);
  EXPECT_LT(in.gemms[1].stats.rel_noise, 0.05);  // the noise check alone would not see it
  EXPECT_EQ(check(evaluate(in), "noise").status, Status::Pass);
  const Check c = check(evaluate(in), "spikes");
  EXPECT_EQ(c.status, Status::Suspect) << c.detail;
  EXPECT_NEAR(c.measured, 50, 1);
  EXPECT_NE(c.detail.find("health.gemm 8192x8192x8192 fwd: p90 50% above the median, 40 of 200 samples outliers"),
            std::string::npos)
      << c.detail;
  EXPECT_EQ(evaluate(in).verdict, Status::Suspect);
}

// The same dips on a coarse timer: the quiet samples all read one tick, MAD is 0 and the robust
// spread falls back to p90 − p10, whose fence leaves the slow fifth inside. p90 still shows it.
TEST(HealthSpikes, DipsOnACoarseTimerAreSuspectByTheTail) {
  std::vector<double> s(200, 1.0);
  for (size_t i = 0; i < s.size(); i += 5) s[i] = 1.5;
  const Inputs in = with_samples(s);
  ASSERT_EQ(in.gemms[1].stats.outliers, 0);
  EXPECT_EQ(check(evaluate(in), "spikes").status, Status::Suspect);
}

// One spike in 200 (an OS hiccup) is an event, not a sick GPU.
TEST(HealthSpikes, OneSpikeInTwoHundredPasses) {
  std::vector<double> s = quiet_samples_ms();
  s[77] = 3.0;
  const Inputs in = with_samples(s);
  ASSERT_EQ(in.gemms[1].stats.outliers, 1);
  const Check c = check(evaluate(in), "spikes");
  EXPECT_EQ(c.status, Status::Pass) << c.detail;
  EXPECT_NE(c.detail.find("1 of 200 samples outliers"), std::string::npos) << c.detail;
}

// Spikes rarer than a tenth leave p90 alone; 5% of samples at 3x are caught by the outlier count.
// Each check reports its own criterion: spikes passes with the tail it measured, outliers is
// suspect with the fraction that decided it (before, one check read "measured 0.8, reference 10,
// suspect").
TEST(HealthSpikes, FrequentOutliersBelowTheTenthAreSuspect) {
  std::vector<double> s = quiet_samples_ms();
  for (size_t i = 0; i < s.size(); i += 20) s[i] = 3.0;
  const Inputs in = with_samples(s);
  ASSERT_EQ(in.gemms[1].stats.outliers, 10);
  const Report r = evaluate(in);
  const Check tail = check(r, "spikes");
  EXPECT_LT(tail.measured, 1.0);
  EXPECT_EQ(tail.status, Status::Pass) << tail.detail;
  const Check c = check(r, "outliers");
  EXPECT_EQ(c.status, Status::Suspect) << c.detail;
  EXPECT_DOUBLE_EQ(c.measured, 5);  // 10 of 200
  EXPECT_DOUBLE_EQ(c.reference, 1);
  EXPECT_EQ(c.unit, "%");
  EXPECT_NE(c.detail.find("health.gemm 8192x8192x8192 fwd: 10 of 200 samples outliers (5.0%), the slowest 200% above "
                          "the median"),
            std::string::npos)
      << c.detail;
  EXPECT_EQ(r.verdict, Status::Suspect);
}

// A very tight kernel's samples 2% slow are far in σ but inside the fence's 5% floor: no
// outliers. Samples 8% slow are outliers, yet no cost worth a finding: they must be max_tail
// (10%) slow to count, and uncounted they measure 0, not 5%.
TEST(HealthSpikes, SmallOutliersOfATightKernelPass) {
  auto samples = [](double slow) {
    std::vector<double> s;
    for (int i = 0; i < 200; ++i) s.push_back(i % 20 == 0 ? slow : 1.0 + 0.001 * ((i * 7) % 11 - 5) / 5.0);
    return s;
  };
  const Inputs two_percent = with_samples(samples(1.02));
  ASSERT_EQ(two_percent.gemms[1].stats.outliers, 0);
  EXPECT_EQ(check(evaluate(two_percent), "outliers").status, Status::Pass);
  const Inputs in = with_samples(samples(1.08));
  ASSERT_EQ(in.gemms[1].stats.outliers, 10);
  const Check c = check(evaluate(in), "outliers");
  EXPECT_EQ(c.status, Status::Pass) << c.detail;
  EXPECT_DOUBLE_EQ(c.measured, 0);
  EXPECT_NE(c.detail.find("none counts"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find("10 of 200 samples outliers (5.0%), the slowest 8% above the median"), std::string::npos)
      << c.detail;
  // The same samples judged with a 5% threshold are suspect: the threshold decides, not chance.
  Thresholds strict;
  strict.max_tail = 0.05;
  const Check s1 = check(evaluate(in, strict), "outliers");
  EXPECT_EQ(s1.status, Status::Suspect);
  EXPECT_DOUBLE_EQ(s1.measured, 5);
}

// Two kernels, each suspect by one criterion: each check names its own kernel, and in every
// scenario above a judged check's status is what its measured and reference figures say.
TEST(HealthSpikes, EachCheckNamesTheKernelItsCriterionPicked) {
  std::vector<double> tail = quiet_samples_ms(), outliers = quiet_samples_ms();
  for (size_t i = 0; i < tail.size(); i += 5) tail[i] *= 1.5;  // p90 50% up
  for (size_t i = 0; i < outliers.size(); i += 20) outliers[i] = 3.0;  // 5% outliers, p90 flat
  Inputs in = h100(780, 3000);
  in.gemms[0].shape = "4096x4096x4096 fwd";
  in.gemms[0].stats = timing::summarize(tail);
  in.gemms[2].shape = "16384x16384x16384 fwd";
  in.gemms[2].stats = timing::summarize(outliers);
  const Report r = evaluate(in);
  const Check sp = check(r, "spikes"), out = check(r, "outliers");
  EXPECT_NEAR(sp.measured, 50, 1);
  EXPECT_NE(sp.detail.find(in.gemms[0].name + " " + in.gemms[0].shape + ": p90 50%"), std::string::npos) << sp.detail;
  EXPECT_EQ(sp.detail.find(in.gemms[2].shape), std::string::npos) << sp.detail;
  // gemms[0]'s 40 outliers are 20% of its samples: the largest counted fraction decides.
  EXPECT_DOUBLE_EQ(out.measured, 20);
  EXPECT_NE(out.detail.find(in.gemms[2].shape + ": 10 of 200 samples outliers (5.0%)"), std::string::npos)
      << out.detail;

  std::vector<std::vector<double>> scenarios = {quiet_samples_ms(), tail, outliers};
  std::vector<double> one_spike = quiet_samples_ms();
  one_spike[77] = 3.0;
  scenarios.push_back(one_spike);
  for (const auto& samples : scenarios)
    for (const std::string id : {"spikes", "outliers"}) {
      const Check c = check(evaluate(with_samples(samples)), id);
      ASSERT_NE(c.status, Status::Info) << id;
      EXPECT_EQ(c.status == Status::Suspect, c.measured > c.reference)
          << id << ": measured " << c.measured << ", reference " << c.reference << ", " << to_string(c.status);
    }
}

// As its noise, a CPU's spikes are its neighbours' work: shown, never a finding.
TEST(HealthSpikes, OnACpuShownNotJudged) {
  std::vector<double> s = quiet_samples_ms();
  for (size_t i = 0; i < s.size(); i += 5) s[i] *= 1.5;
  Inputs in = with_samples(s);
  in.peaks_estimated = true;
  const Check c = check(evaluate(in), "spikes");
  EXPECT_EQ(c.status, Status::Info);
  EXPECT_NE(c.detail.find("shown, not judged on a CPU"), std::string::npos) << c.detail;
}

// --sku over the CPU backend judges its GEMMs and bandwidth against the GPU's figures, but its
// timing noise is still the host's: noise, spikes and outliers that a GPU would be suspect for
// are shown, not judged; the same battery on a GPU is suspect on all three.
TEST(HealthSpikes, OnACpuJudgedAgainstAGpuSkuTimingIsStillNotJudged) {
  std::vector<double> s = quiet_samples_ms();
  for (size_t i = 0; i < s.size(); i += 5) s[i] *= 1.5;  // p90 50% up
  for (size_t i = 1; i < s.size(); i += 20) s[i] = 3.0;  // and 5% outliers
  Inputs in = with_samples(s);
  in.gemms[0].stats.rel_noise = 0.3;
  ASSERT_FALSE(in.peaks_estimated);  // h100-sxm's datasheet, as --sku gives it
  for (const std::string id : {"noise", "spikes", "outliers"})
    EXPECT_EQ(check(evaluate(in), id).status, Status::Suspect) << id;
  in.cpu_backend = true;
  const Report r = evaluate(in);
  for (const std::string id : {"noise", "spikes", "outliers"}) {
    EXPECT_EQ(check(r, id).status, Status::Info) << id;
    EXPECT_NE(check(r, id).detail.find("not judged on a CPU"), std::string::npos) << check(r, id).detail;
  }
  EXPECT_EQ(check(r, "gemm").status, Status::Pass);  // 780 of 795 sustained: judged as before
  EXPECT_EQ(r.verdict, Status::Pass);
}

// Without a sustained figure the peak fraction is its own threshold (--gemm-peak-threshold), not
// --gemm-threshold: 500 of h100-pcie's 756 (66%) passes at 0.6 and is suspect at 0.7.
TEST(HealthCheck, ThePeakFractionIsItsOwnThreshold) {
  Inputs in = h100(500, 1800);
  in.sku = load_sku("h100-pcie");
  Thresholds t;
  t.gemm_vs_sustained = 0.99;  // does not apply here
  EXPECT_EQ(check(evaluate(in, t), "gemm").status, Status::Pass);
  t.gemm_vs_peak = 0.7;
  const Check g = check(evaluate(in, t), "gemm");
  EXPECT_EQ(g.status, Status::Suspect);
  EXPECT_NEAR(g.reference, 0.7 * 756, 1e-9);
  EXPECT_NE(g.detail.find("70% of peak (--gemm-peak-threshold"), std::string::npos) << g.detail;
}

TEST(HealthCheck, JsonCarriesVerdictAndEveryCheck) {
  const auto j = to_json(evaluate(h100(780, 2000)));
  EXPECT_EQ(j.at("verdict"), "suspect");
  ASSERT_EQ(j.at("checks").size(), 8u);
  for (const auto& c : j.at("checks"))
    for (const char* key : {"id", "status", "measured", "reference", "unit", "detail"}) EXPECT_TRUE(c.contains(key)) << key;
}

// Eight cards of one server: the one 11% behind on GEMMs is named; its neighbours pass; the
// verdict of its report rises to suspect.
TEST(HealthPeers, TheCardBehindItsNeighboursIsSuspect) {
  std::vector<PeerFigures> gpus;
  for (int i = 0; i < 8; ++i) gpus.push_back({i, 780.0 + i, 3000.0});
  gpus[5].gemm_tflops = 700;  // 1 - 700/783: 10.6% below the others' median
  const auto checks = peer_checks(gpus, 0.05);
  ASSERT_EQ(checks.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(checks[static_cast<size_t>(i)].id, "peers");
    EXPECT_EQ(checks[static_cast<size_t>(i)].status, i == 5 ? Status::Suspect : Status::Pass) << i;
  }
  EXPECT_NE(checks[5].detail.find("GPU 5"), std::string::npos) << checks[5].detail;
  EXPECT_NE(checks[5].detail.find("11% below"), std::string::npos) << checks[5].detail;
  EXPECT_DOUBLE_EQ(checks[5].reference, 783);  // median of 780, 781, 782, 783, 784, 786, 787
  Report r = evaluate(h100(780, 3000));
  ASSERT_EQ(r.verdict, Status::Pass);
  add_check(r, checks[5]);
  EXPECT_EQ(r.verdict, Status::Suspect);
  EXPECT_EQ(r.checks.back().id, "peers");
}

TEST(HealthPeers, SlowMemoryIsCaughtAndALoneGpuHasNoPeers) {
  const auto two = peer_checks({{0, 780, 3000}, {1, 780, 2500}}, 0.05);
  EXPECT_EQ(two[0].status, Status::Pass);
  EXPECT_EQ(two[1].status, Status::Suspect);
  EXPECT_NE(two[1].detail.find("streaming"), std::string::npos) << two[1].detail;
  const auto one = peer_checks({{0, 780, 3000}});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].status, Status::Info);
  // Within tolerance is not a finding: 4% below with a 5% tolerance.
  EXPECT_EQ(peer_checks({{0, 800, 3000}, {1, 768, 3000}, {2, 800, 3000}}, 0.05)[1].status, Status::Pass);
}

const Check* find(const std::vector<Check>& checks, const std::string& id) {
  for (const auto& c : checks)
    if (c.id == id) return &c;
  return nullptr;
}

// A well set-up H100: x16 gen 5, default power limit, no ECC errors, no remapping.
DeviceConfig healthy_config() {
  DeviceConfig c;
  c.pcie_link_width = c.pcie_link_width_max = 16;
  c.pcie_link_gen = c.pcie_link_gen_max = 5;
  c.power_limit_w = c.default_power_limit_w = 700;
  c.ecc_uncorrected_volatile = c.ecc_uncorrected_aggregate = 0;
  c.row_remap_pending = c.row_remap_failure = false;
  return c;
}

TEST(HealthConfig, AWellSetUpGpuPassesEveryCheck) {
  const auto checks = config_checks(healthy_config());
  ASSERT_EQ(checks.size(), 4u);
  for (const auto& c : checks) EXPECT_EQ(c.status, Status::Pass) << c.id << ": " << c.detail;
  EXPECT_TRUE(config_checks(DeviceConfig{}).empty());  // nothing reported, nothing claimed
  // Some answered, some not (ECC off, say): the unanswered ones are listed as not checked.
  DeviceConfig partial;
  partial.pcie_link_width = partial.pcie_link_width_max = 16;
  const auto some = config_checks(partial);
  ASSERT_EQ(some.size(), 4u);
  EXPECT_EQ(find(some, "pcie")->status, Status::Pass);
  for (const char* id : {"power_limit", "ecc", "row_remap"}) {
    ASSERT_NE(find(some, id), nullptr) << id;
    EXPECT_EQ(find(some, id)->status, Status::Info) << id;
    EXPECT_NE(find(some, id)->detail.find("not reported"), std::string::npos) << id;
  }
}

TEST(HealthConfig, TheClassicSilentFaultsAreCaught) {
  DeviceConfig narrow = healthy_config();
  narrow.pcie_link_width = 8;
  EXPECT_EQ(find(config_checks(narrow), "pcie")->status, Status::Suspect);
  EXPECT_NE(find(config_checks(narrow), "pcie")->detail.find("x8 of x16"), std::string::npos);
  DeviceConfig idle = healthy_config();
  idle.pcie_link_gen = 1;  // an idle link slows down: noted, not a finding
  EXPECT_EQ(find(config_checks(idle), "pcie")->status, Status::Pass);

  DeviceConfig capped = healthy_config();
  capped.power_limit_w = 500;
  EXPECT_EQ(find(config_checks(capped), "power_limit")->status, Status::Suspect);
  capped.power_limit_w = 680;  // within 5% of the default
  EXPECT_EQ(find(config_checks(capped), "power_limit")->status, Status::Pass);

  DeviceConfig ecc = healthy_config();
  ecc.ecc_uncorrected_aggregate = 3;
  EXPECT_EQ(find(config_checks(ecc), "ecc")->status, Status::Suspect);
  ecc.ecc_uncorrected_volatile = 1;
  EXPECT_EQ(find(config_checks(ecc), "ecc")->status, Status::Fail);

  DeviceConfig remap = healthy_config();
  remap.row_remap_pending = true;
  EXPECT_EQ(find(config_checks(remap), "row_remap")->status, Status::Suspect);
  remap.row_remap_failure = true;
  EXPECT_EQ(find(config_checks(remap), "row_remap")->status, Status::Fail);
}

// Setup checks that pass do not turn "nothing judged" into "pass"; findings always count.
TEST(HealthConfig, PassingSetupChecksDoNotClaimAJudgement) {
  Inputs unknown = h100(700, 3000);
  unknown.sku.reset();
  Report r = evaluate(unknown);
  ASSERT_EQ(r.verdict, Status::Info);
  for (auto& c : config_checks(healthy_config())) add_check(r, c);
  EXPECT_EQ(r.verdict, Status::Info);
  Report with_peers = r;  // a passing peer comparison does judge performance
  add_check(with_peers, peer_checks({{0, 700, 3000}, {1, 705, 3000}})[0]);
  EXPECT_EQ(with_peers.verdict, Status::Pass);
  DeviceConfig capped = healthy_config();
  capped.power_limit_w = 400;
  for (auto& c : config_checks(capped)) add_check(r, c);
  EXPECT_EQ(r.verdict, Status::Suspect);
}

}  // namespace
}  // namespace tb::health
