#include "harness/comm/interconnect.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "harness/comm/in_place.hpp"
#include "harness/comm/size_list.hpp"
#include "harness/common/errors.hpp"

namespace tb::comm {

LinkBandwidths links_from_sku(const SkuConfig& sku) {
  LinkBandwidths l;
  if (sku.intra_node_gb_s) {
    l.intra_node_gb_s = sku.intra_node_gb_s;
    l.intra_source = fmt::format("SKU {} interconnect.intra_node_gb_s", sku.name);
  }
  if (sku.inter_node_gb_s) {
    l.inter_node_gb_s = sku.inter_node_gb_s;
    l.inter_source = fmt::format("SKU {} interconnect.inter_node_gb_s", sku.name);
  }
  l.gpus_per_node = sku.gpus_per_server;
  l.gpus_per_node_source = fmt::format("SKU {} server.gpus_per_server", sku.name);
  return l;
}

void apply_site(LinkBandwidths& l, const SiteConfig& site) {
  if (!site.inter_node_gb_s) return;
  l.inter_node_gb_s = site.inter_node_gb_s;
  l.inter_source = fmt::format("site {} interconnect.inter_node_gb_s", site.name);
}

void apply_interconnect_flag(LinkBandwidths& l, const std::string& value) {
  if (value == "infiniband") {
    l.inter_node_gb_s = kInfinibandNdrGbS;
    l.inter_source = "--interconnect infiniband (assumed one 400 Gb/s NDR NIC per GPU)";
  } else if (value == "ethernet") {
    l.inter_node_gb_s = kEthernet100GbS;
    l.inter_source = "--interconnect ethernet (assumed one 100 GbE NIC per GPU)";
  } else if (value == "nvlink") {
    if (!l.intra_node_gb_s)
      throw UsageError("--interconnect nvlink takes the NVLink bandwidth from the SKU: give --gpu SKU (its "
                       "interconnect.intra_node_gb_s), or a number of GB/s per GPU");
    l.inter_node_gb_s = l.intra_node_gb_s;
    l.inter_source = "--interconnect nvlink (one NVLink domain: " + l.intra_source + ")";
  } else {
    size_t used = 0;
    double gb_s = 0;
    try {
      gb_s = std::stod(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || !std::isfinite(gb_s) || gb_s <= 0 || gb_s > 1e5)
      throw UsageError(fmt::format("--interconnect '{}': accepted values: nvlink, infiniband, ethernet, or GB/s per "
                                   "GPU across nodes (a positive number, e.g. 50)",
                                   value));
    l.inter_node_gb_s = gb_s;
    l.inter_source = fmt::format("--interconnect {} GB/s per GPU", value);
  }
}

MeasuredLink measured_link(const results::RunResults& r, const std::string& origin) {
  if (r.workload.command != "comm")
    throw UsageError(fmt::format("--comm-results {}: made by `trainbench {}`, not `trainbench comm`", origin,
                                 r.workload.command));
  const results::KernelResult* best = nullptr;
  for (const auto& k : r.kernels) {
    // The out-of-place figure, as nccl-tests' users quote it (the in-place one is its own entry).
    if (k.kind != "allreduce" || k.status != "ok" || !k.verified || is_in_place(k)) continue;
    auto it = k.dims.find("ranks");
    if (it == k.dims.end() || it->second < 2 || !k.busbw_gb_s || !(*k.busbw_gb_s > 0)) continue;
    if (!best || k.bytes > best->bytes) best = &k;
  }
  if (!best)
    throw UsageError(fmt::format("--comm-results {}: no verified all-reduce over 2 or more ranks (a 1-rank run "
                                 "measures no link: its busbw is 0 by definition); run `mpirun -np N trainbench "
                                 "comm --op allreduce` across the GPUs you mean",
                                 origin));
  std::set<std::string> hosts;
  for (const auto& rank : r.ranks) hosts.insert(rank.host);
  MeasuredLink m;
  // Every rank's backend, where the file lists them (a job mixes none: all ranks run one); else
  // the machine block's device memory, "cuda" only under NCCL.
  for (const auto& rank : r.ranks)
    if (!rank.backend.empty() && (m.backend.empty() || rank.backend != "nccl")) m.backend = rank.backend;
  if (m.backend.empty()) m.backend = r.machine.backend == "cuda" ? "nccl" : "mpi";
  m.device = r.machine.device_name;
  m.busbw_gb_s = *best->busbw_gb_s;
  m.inter_node = hosts.size() > 1;
  m.ranks = best->dims.at("ranks");
  m.bytes = static_cast<int64_t>(best->bytes);
  m.origin = origin;
  m.source = fmt::format("measured all-reduce busbw {:.1f} GB/s, {} ranks on {} node(s), {} ({}{})", m.busbw_gb_s,
                         m.ranks, std::max<size_t>(hosts.size(), 1), human_bytes(best->bytes), origin,
                         r.machine.backend == "cpu" ? "; MPI on host memory, not a GPU link" : "");
  return m;
}

void require_gpu_link(const MeasuredLink& m, const std::string& gpu, const std::string& origin) {
  if (m.backend == "nccl") return;
  throw UsageError(fmt::format(
      "--comm-results {}: measured by the {} backend on {}, all-reduce busbw {:.3g} GB/s: not a link between "
      "GPUs; an estimate for {} takes a file measured with --backend nccl (one process per GPU: `mpirun -np N "
      "trainbench comm --backend nccl --op allreduce --out FILE`), or none: the SKU's interconnect, or "
      "--interconnect",
      origin, m.backend.empty() ? "unknown" : m.backend, m.device.empty() ? "an unnamed device" : m.device,
      m.busbw_gb_s, gpu));
}

void apply_measured(LinkBandwidths& l, const MeasuredLink& m) {
  l.measured_file = m.origin;
  l.measured_inter_node = m.inter_node;
  l.measured_ranks = m.ranks;
  if (m.inter_node) {
    l.inter_node_gb_s = m.busbw_gb_s;
    l.inter_source = m.source;
  } else {
    l.intra_node_gb_s = m.busbw_gb_s;
    l.intra_source = m.source;
  }
}

}  // namespace tb::comm
