#include "tests/report/synthetic_comm.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "harness/comm/size_list.hpp"
#include "harness/timing/sample_stats.hpp"

namespace tb::testing {

results::RunResults synthetic_comm_run(const SyntheticCommSpec& spec) {
  results::RunResults r;
  auto& m = r.machine;
  m.backend = spec.backend == "nccl" ? "cuda" : "cpu";
  m.device_name = spec.device_name;
  m.device_count = static_cast<int>(spec.ranks);
  m.sku = spec.sku;
  if (spec.backend == "nccl") m.nccl_version = "2.27.3";
  m.git_commit = "synthetic";
  m.command_line = "synthetic test data (not a measurement)";
  m.utc_time = fmt::format("2026-01-01T{:02d}:{:02d}:{:02d}Z", spec.seed / 3600 % 24, spec.seed / 60 % 60, spec.seed % 60);
  m.trainbench_version = "test";
  m.host = "synthetic-0";
  r.workload.command = "comm";
  r.workload.dtype = spec.dtype;
  r.workload.device = m.backend;
  for (int64_t i = 0; i < spec.ranks; ++i) {
    results::RankInfo rank;
    rank.rank = static_cast<int>(i);
    const int64_t per_host = (spec.ranks + spec.hosts - 1) / spec.hosts;
    rank.host = fmt::format("synthetic-{}", i / per_host);
    rank.local_rank = static_cast<int>(i % per_host);
    rank.backend = spec.backend;
    rank.device_name = spec.device_name;
    rank.mpi_version = "Open MPI v4.1 (synthetic)";
    r.ranks.push_back(rank);
  }
  std::mt19937 rng(spec.seed);
  std::normal_distribution<double> noise(0.0, spec.sample_rel_stddev);
  const int element = spec.dtype == "fp32" ? 4 : 2;
  for (comm::Collective c : spec.ops)
    for (int64_t size : spec.sizes) {
      const auto counts = comm::buffer_counts(c, size, spec.ranks, element);
      results::KernelResult k;
      k.name = fmt::format("{}.{}", comm::to_string(c), counts.size_bytes);
      k.kind = comm::to_string(c);
      k.shape = fmt::format("{} x {} ranks", comm::human_bytes(static_cast<double>(counts.size_bytes)), spec.ranks);
      k.dims = {{"bytes", counts.size_bytes}, {"ranks", spec.ranks}, {"count", counts.count}};
      k.dtype = spec.dtype;
      k.bytes = static_cast<double>(counts.size_bytes);
      k.algorithm = spec.backend + " (synthetic)";
      const double factor = comm::busbw_factor(c, spec.ranks);
      // busbw = factor x S / t; a 1-rank all-reduce (factor 0) at the algbw instead.
      const double seconds = k.bytes * (factor > 0 ? factor : 1.0) / (spec.busbw_gb_s * 1e9) * (1.0 + spec.slowdown);
      for (int i = 0; i < spec.samples; ++i) k.samples_ms.push_back(seconds * 1e3 * std::max(0.5, 1.0 + noise(rng)));
      k.stats = timing::summarize(k.samples_ms);
      k.stop_reason = "converged";
      const double median_s = k.stats.median_ms * 1e-3;
      k.algbw_gb_s = comm::algbw_gb_s(k.bytes, median_s);
      k.busbw_gb_s = comm::busbw_gb_s(c, k.bytes, median_s, spec.ranks);
      k.gbps = *k.algbw_gb_s;
      k.wrong_elements = 0;
      k.verified = true;
      if (spec.in_place) {  // the same figures, as comm writes an in-place entry after its out-of-place one
        results::KernelResult in_place = k;
        in_place.shape += ", in place";
        in_place.dims["in_place"] = 1;
        r.kernels.push_back(std::move(k));
        r.kernels.push_back(std::move(in_place));
        continue;
      }
      r.kernels.push_back(std::move(k));
    }
  return r;
}

}  // namespace tb::testing
