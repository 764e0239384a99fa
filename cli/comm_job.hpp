#pragma once
// One `trainbench comm` job across all its ranks: measures each (collective, size) through the
// timing core with every rank agreeing on each sample and on the clock, checks every rank's
// output, and assembles the one results file rank 0 writes, with every rank's metadata.
#include <string>
#include <vector>

#include "harness/comm/collective.hpp"
#include "harness/results/run_results.hpp"
#include "harness/timing/stopping_rule.hpp"
#include "kernels/comm/collective_backend.hpp"

namespace tb::cli {

struct CommCase {
  std::string name;  // "tp.allreduce" or "allreduce.1M"
  comm::Collective collective;
  int64_t bytes = 0;  // requested S; rounded down to whole pieces per rank
  std::string why;    // where the size comes from
};

struct CommJobOptions {
  DType dtype = DType::BF16;
  int iterations = 20;         // nccl-tests -n: launches per sample
  int warmup_iterations = 1;   // nccl-tests -w: untimed launches before sampling
  bool check = true;           // nccl-tests -c
  bool corrupt_for_testing = false;
  timing::TimingPolicy policy;
};

// A case's name, kind, shape, dims, dtype and bytes, unmeasured (for cases an interrupt skipped).
results::KernelResult describe_comm_case(const CommCase& c, int64_t ranks, DType dtype,
                                         const kernels::comm::CommDevice& device);

// Every rank calls this with the same cases; the returned KernelResults are identical on all
// ranks (times are averaged over ranks, as nccl-tests' default -a 1; #wrong is summed). The case
// out of place, then, where the backend runs it in place with a checked result, in place
// (nccl-tests' in-place columns): an entry of its own (harness/comm/in_place.hpp).
std::vector<results::KernelResult> measure_comm_case(kernels::comm::World& world,
                                                     kernels::comm::CollectiveBackend& backend, const CommCase& c,
                                                     const CommJobOptions& options);

// This rank's metadata as JSON text, and rank 0's list of everyone's (empty on other ranks).
results::RankInfo local_rank_info(const kernels::comm::World& world, const kernels::comm::CommDevice& device);
std::vector<results::RankInfo> gather_rank_infos(kernels::comm::World& world, const results::RankInfo& mine);

// The results' machine block, from rank 0's view (device, host, versions, command line).
results::MachineInfo comm_machine_info(const kernels::comm::World& world, const kernels::comm::CommDevice& device);

// pct_of_peak of each collective: busbw against the SKU's link (configs/skus [interconnect]),
// intra-node when every rank shared one host, inter-node otherwise; untouched without a SKU.
void set_link_peaks(results::RunResults& run);

}  // namespace tb::cli
