#pragma once
// `trainbench comm` files side by side: the comparison of two interconnects a cluster engineer
// makes with nccl-tests' tables. One row per (collective, size, dtype), each file's time, algbw and
// busbw (docs/comm.md), busbw of each file over the first's, and busbw as a percentage of the
// link only where a SKU or site config states that link's bandwidth. A comm file has no training
// step, so nothing here extrapolates.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/compare/compatibility.hpp"
#include "harness/compare/table.hpp"
#include "harness/hardware/site_config.hpp"

namespace tb::compare {

// A file `trainbench comm` wrote (workload.command "comm").
bool is_comm_file(const LabeledResults& file);

// Every file of one comparison, or of both sides of the gate, is a comm file or none is: a
// collective's busbw beside a kernel's TFLOP/s compares nothing. Refused (GateRefusal, incomparable)
// naming a file of each kind; no flag overrides it.
void require_one_kind(const std::vector<LabeledResults>& files);

// The bandwidth busbw is judged against: nccl-tests' busbw is comparable to one link's one-way
// bandwidth whatever the rank count (docs/comm.md).
struct CommLink {
  double gb_s = 0;
  std::string source;  // "sku h100-sxm, intra-node (1 host)", "site h100-1024, inter-node (2 hosts)"
};

struct CommRun {
  std::string origin, label;  // label as compare labels runs: "device (file)"
  std::string backend;        // "nccl" or "mpi" (ranks[0]); machine.backend in files without ranks
  std::string library;        // "NCCL 2.27.3" or the MPI library's version
  int64_t ranks = 0;
  int64_t hosts = 1;
  std::string sku;
  std::optional<CommLink> link;  // none: one rank, no SKU config, or none that states this link
  std::string why_no_link;       // when link is none
};

struct CommCell {
  bool present = false;
  std::string status;  // the file's: ok, failed, interrupted, skipped, ...
  double time_us = 0;  // median
  double algbw_gb_s = 0, busbw_gb_s = 0;
  std::optional<double> pct_of_link;  // busbw over the run's link, percent
};

struct CommRow {
  std::string op;  // the collective (kernels[].kind)
  bool in_place = false;  // nccl-tests' in-place measurement (harness/comm/in_place.hpp)
  int64_t bytes = 0;
  std::string dtype;
  std::string name;  // the first file's name for it ("tp.allreduce", "allreduce.1048576")
  std::vector<CommCell> cells;  // one per run, in input order
};

struct CommSideBySide {
  std::vector<CommRun> runs;
  std::vector<CommRow> rows;  // first-seen order
  std::vector<std::string> notes;
  bool site_link = false;  // --site's network was used for some run's link
};

// Files must be comm files that agree with themselves (results::require_consistent_results); a
// partial or failed one is taken as it is: its sizes not measured show their status, as the
// report's comm section shows them. `site`: its network (`[interconnect] inter_node_gb_s`) is the
// inter-node link of runs across hosts, over the SKU's, as estimate takes it.
CommSideBySide build_comm_side_by_side(const std::vector<LabeledResults>& files,
                                       const std::optional<SiteConfig>& site);

// "No extrapolation: ..." — why a comm file has none, for the text and the JSON.
std::string comm_no_extrapolation_reason();

std::string format_comm_side_by_side(const CommSideBySide& comparison, TableFormat format);
nlohmann::json comm_side_by_side_json(const CommSideBySide& comparison);

}  // namespace tb::compare
