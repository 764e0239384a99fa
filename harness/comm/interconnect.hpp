#pragma once
// Per-GPU link bandwidths the communication model runs on, each with where it came from:
// a measured `trainbench comm` results file (all-reduce busbw at its largest size), the
// --interconnect flag, or the SKU config's [interconnect] table.
#include <cstdint>
#include <optional>
#include <string>

#include "harness/hardware/site_config.hpp"
#include "harness/hardware/sku_config.hpp"
#include "harness/results/run_results.hpp"

namespace tb::comm {

struct LinkBandwidths {
  std::optional<double> intra_node_gb_s;  // NVLink/PCIe per GPU, one direction (nccl-tests busbw)
  std::string intra_source;
  std::optional<double> inter_node_gb_s;  // network per GPU, one direction
  std::string inter_source;
  int64_t gpus_per_node = 8;
  std::string gpus_per_node_source = "assumed: no SKU given";
  // A --comm-results file measures one of the two links (its ranks on one host, or across
  // hosts): which file, so that a group needing the other link says so instead of asking for it.
  std::string measured_file;
  bool measured_inter_node = false;
  int64_t measured_ranks = 0;
};

// --interconnect presets, per GPU one direction. ASSUMPTIONS, stated in docs/comm.md:
// infiniband: one 400 Gb/s NDR NIC per GPU (DGX H100) = 50 GB/s;
// ethernet: one 100 GbE NIC per GPU, a common cloud fabric = 12.5 GB/s;
// nvlink: the whole job is one NVLink domain (e.g. GB200 NVL72): inter-node = intra-node.
inline constexpr double kInfinibandNdrGbS = 50.0;
inline constexpr double kEthernet100GbS = 12.5;

LinkBandwidths links_from_sku(const SkuConfig& sku);
// The site's network, where its config has one, replaces the SKU's inter-node figure.
void apply_site(LinkBandwidths& links, const SiteConfig& site);

// Applies "nvlink", "infiniband", "ethernet" or a number (GB/s per GPU across nodes). Refuses
// others naming --interconnect and the accepted values.
void apply_interconnect_flag(LinkBandwidths& links, const std::string& value);

// The all-reduce bus bandwidth a `trainbench comm` results file measured at its largest
// verified size: intra-node when all ranks shared one host, inter-node otherwise. Refuses
// files without a verified all-reduce over >= 2 ranks, naming `origin`.
struct MeasuredLink {
  double busbw_gb_s = 0;
  bool inter_node = false;
  int64_t ranks = 0;
  int64_t bytes = 0;
  std::string backend;  // the ranks' collective backend: "nccl" (GPUs) or "mpi" (host memory)
  std::string device;   // rank 0's device: the GPU's name, or "host memory (CPU)"
  std::string source;
  std::string origin;   // the file
};
MeasuredLink measured_link(const results::RunResults& results, const std::string& origin);
// An estimate for a GPU (`gpu`: "GPU SKU h100-sxm", say) takes only a link between GPUs: a file
// of MPI host-memory collectives measured the CPUs' shared memory or network stack, a bandwidth
// no GPU link has (0.08 GB/s on a 2-core VM beside NVLink's 450). Refuses it naming `origin`,
// its backend and device, and what is accepted.
void require_gpu_link(const MeasuredLink& measured, const std::string& gpu, const std::string& origin);
void apply_measured(LinkBandwidths& links, const MeasuredLink& measured);

}  // namespace tb::comm
