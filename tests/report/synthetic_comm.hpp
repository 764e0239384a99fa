#pragma once
// SYNTHETIC `trainbench comm` results for tests of compare and its gate: each (collective, size)
// timed so that its busbw is a chosen figure (time = factor x size / busbw, nccl-tests' factor for
// the rank count), with seeded noise. Never a measurement (machine.command_line says so).
#include <cstdint>
#include <string>
#include <vector>

#include "harness/comm/collective.hpp"
#include "harness/results/run_results.hpp"

namespace tb::testing {

struct SyntheticCommSpec {
  std::vector<comm::Collective> ops = {comm::Collective::AllReduce, comm::Collective::AllGather};
  std::vector<int64_t> sizes = {1 << 20, 64 << 20};  // bytes
  std::string dtype = "bf16";
  int64_t ranks = 2;
  int64_t hosts = 1;                 // ranks spread over this many hosts, in order
  std::string backend = "mpi";       // "mpi" (host memory) or "nccl"
  std::string device_name = "host memory (CPU)";
  std::string sku;                   // configs/skus name, "" for none (MPI on the host)
  double busbw_gb_s = 10;            // every row's busbw before noise
  double sample_rel_stddev = 0.01;
  int samples = 20;
  uint32_t seed = 1;
  double slowdown = 0;               // 0.10: every sample 10% longer (busbw 1/1.1 of it)
  bool in_place = false;             // each size also in place (nccl-tests' columns): its own entry
};

results::RunResults synthetic_comm_run(const SyntheticCommSpec& spec);

}  // namespace tb::testing
