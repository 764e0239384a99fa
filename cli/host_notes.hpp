#pragma once
// What about the host the figures of a measuring command depend on, said beside them: a busy
// host understates the machine, and an OpenBLAS built for narrower vectors than the CPU has caps
// the CPU backend's GEMMs at half the peak its % of peak and MFU are judged against.
#include <string>
#include <vector>

#include "harness/results/run_results.hpp"

namespace tb::cli {

// "trainbench: note: ..." lines (each ending in a newline) for the machine a run recorded; empty
// when nothing needs saying. `measured_gemms` false (comm, which runs no GEMMs and has no MFU):
// the OpenBLAS note, about GEMMs' % of peak, is left out.
std::string host_notes(const results::MachineInfo& machine, bool measured_gemms = true);

// A note when memory-bound kernels ran above the bandwidth they are judged against, naming the
// fastest: on a CPU that peak is a STREAM triad measured once per run, which a busy host slows and
// a working set partly left in cache beats. Empty otherwise.
std::string above_bandwidth_note(const std::vector<results::KernelResult>& kernels, const std::string& backend);

// Whether OpenBLAS's `core` (openblas_get_corename) leaves half of a core's `fp32_flops_per_cycle`
// unused: an AVX-512 CPU (64) running AVX2 kernels. "none" (no OpenBLAS) is not judged.
bool blas_runs_half_width(int fp32_flops_per_cycle, const std::string& core);

// The OpenBLAS note alone (for `devices`), without the "trainbench: note: " prefix: empty unless
// this CPU has AVX-512 and OpenBLAS runs AVX2 kernels.
std::string blas_half_peak_note();

}  // namespace tb::cli
