// The host notes of measuring commands (cli/host_notes.hpp): a busy host is said, with its load,
// at health's threshold (half a runnable process per CPU); a quiet one or an unknown load is not.
#include <gtest/gtest.h>

#include "cli/host_notes.hpp"

namespace tb::cli {
namespace {

results::MachineInfo machine(std::optional<double> load, int cpus, const std::string& backend = "cuda") {
  results::MachineInfo m;
  m.backend = backend;
  m.load_avg_1m = load;
  m.host_cpus = cpus;
  return m;
}

TEST(HostNotes, BusyHostIsSaidWithItsLoad) {
  const std::string busy = host_notes(machine(6.32, 2));
  EXPECT_NE(busy.find("trainbench: note: the host was busy (load 6.3 on 2 CPUs"), std::string::npos) << busy;
  EXPECT_EQ(busy.back(), '\n');
  // At the threshold, 0.5 x 16 CPUs = 8: busy; just under it: quiet.
  EXPECT_NE(host_notes(machine(8.0, 16)).find("busy"), std::string::npos);
  EXPECT_EQ(host_notes(machine(7.9, 16)), "");
  EXPECT_EQ(host_notes(machine(std::nullopt, 2)), "");  // no /proc/loadavg: nothing known
  EXPECT_EQ(host_notes(machine(6.0, 0)), "");           // no CPU count to judge it by
}

TEST(HostNotes, HalfWidthBlasOnlyOnAnAvx512CpuWithAvx2Kernels) {
  EXPECT_TRUE(blas_runs_half_width(64, "Haswell"));     // this CI machine: EPYC with AVX-512, OpenBLAS Haswell
  EXPECT_TRUE(blas_runs_half_width(64, "Zen"));
  EXPECT_FALSE(blas_runs_half_width(64, "SkylakeX"));   // AVX-512 kernels use the full width
  EXPECT_FALSE(blas_runs_half_width(64, "SAPPHIRERAPIDS"));
  EXPECT_FALSE(blas_runs_half_width(32, "Haswell"));    // an AVX2 CPU: nothing left unused
  EXPECT_FALSE(blas_runs_half_width(64, "none"));       // no OpenBLAS: nothing to judge
}

TEST(HostNotes, BlasNoteOnlyForTheCpuBackend) {
  EXPECT_EQ(host_notes(machine(0.1, 2, "cuda")).find("OpenBLAS"), std::string::npos);
  const std::string blas = blas_half_peak_note();
  const std::string cpu = host_notes(machine(0.1, 2, "cpu"));
  EXPECT_EQ(cpu.empty(), blas.empty()) << cpu;
  if (!blas.empty()) EXPECT_NE(cpu.find("at most half the estimated peak"), std::string::npos) << cpu;
}

// comm runs no GEMMs: the note about GEMMs' % of peak is not said there, the busy host still is.
TEST(HostNotes, NoBlasNoteWhereNoGemmWasMeasured) {
  EXPECT_EQ(host_notes(machine(0.1, 2, "cpu"), /*measured_gemms=*/false), "");
  const std::string busy = host_notes(machine(6.32, 2, "cpu"), /*measured_gemms=*/false);
  EXPECT_NE(busy.find("the host was busy"), std::string::npos) << busy;
  EXPECT_EQ(busy.find("OpenBLAS"), std::string::npos) << busy;
}

TEST(HostNotes, MemoryBoundKernelsAboveTheBandwidthPeakAreSaid) {
  auto kernel = [](const std::string& name, double flops, double pct, const std::string& status = "ok") {
    results::KernelResult k;
    k.name = name;
    k.flops = flops;
    k.pct_of_peak = pct;
    k.status = status;
    return k;
  };
  // A GEMM above 100% is another matter (a wrong peak), and a failed kernel's figure is none.
  EXPECT_EQ(above_bandwidth_note({kernel("gemm", 1e9, 130), kernel("norm", 0, 99), kernel("add", 0, 150, "failed")},
                                 "cpu"),
            "");
  const std::string one = above_bandwidth_note({kernel("residual_add", 0, 121.04), kernel("norm", 0, 80)}, "cpu");
  EXPECT_NE(one.find("note: residual_add ran above the bandwidth peak (121% of it): that peak is the STREAM triad"),
            std::string::npos)
      << one;
  const std::string two =
      above_bandwidth_note({kernel("residual_add", 0, 121), kernel("norm.bwd", 0, 108)}, "cuda");
  EXPECT_NE(two.find("2 memory-bound kernels (most: residual_add) ran above"), std::string::npos) << two;
  EXPECT_NE(two.find("stays in L2"), std::string::npos) << two;
}

}  // namespace
}  // namespace tb::cli
