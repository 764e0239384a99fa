#include "harness/compare/comm_side_by_side.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <set>

#include "harness/comm/in_place.hpp"
#include "harness/compare/format.hpp"
#include "harness/compare/gate_error.hpp"
#include "harness/compare/side_by_side.hpp"
#include "harness/results/recorded_sku.hpp"
#include "harness/results/step_consistency.hpp"

namespace tb::compare {

bool is_comm_file(const LabeledResults& file) { return file.results.workload.command == "comm"; }

void require_one_kind(const std::vector<LabeledResults>& files) {
  const LabeledResults* comm = nullptr;
  const LabeledResults* other = nullptr;
  for (const auto& f : files) {
    const LabeledResults*& first_of_its_kind = is_comm_file(f) ? comm : other;
    if (!first_of_its_kind) first_of_its_kind = &f;
  }
  if (!comm || !other) return;
  const std::string& kind = other->results.workload.command;
  throw GateRefusal(
      GateErrorKind::Incomparable,
      fmt::format("{} is a `trainbench comm` file (collectives: time, algbw, busbw) and {} a `trainbench {}` file "
                  "(kernels{}): they measure different things and no flag compares them; compare comm files with "
                  "comm files (busbw side by side), and give a comm file to `estimate --comm-results` to weigh "
                  "its link in a training estimate",
                  comm->origin, other->origin, kind.empty() ? "?" : kind,
                  kind == "run" ? " of a training step: TFLOP/s, step time, MFU" : ": time, TFLOP/s or GB/s"));
}

namespace {

int64_t dim(const results::KernelResult& k, const char* key) {
  const auto it = k.dims.find(key);
  return it == k.dims.end() ? 0 : it->second;
}

// The link busbw is judged against, as `comm` itself judges it (cli/comm_job.cpp,
// set_link_peaks) and estimate weighs a site's network over the SKU's (docs/comm.md).
void find_link(CommRun& run, const results::RunResults& r, const std::optional<SiteConfig>& site, bool& site_used) {
  if (run.ranks < 2) {
    run.why_no_link = "one rank crosses no link";
    return;
  }
  const bool across = run.hosts > 1;
  const std::string where = across ? fmt::format("inter-node ({} hosts)", run.hosts) : "intra-node (1 host)";
  if (across && site && site->inter_node_gb_s && *site->inter_node_gb_s > 0) {
    run.link = CommLink{*site->inter_node_gb_s, fmt::format("site {}, {}", site->name, where)};
    site_used = true;
    return;
  }
  if (r.machine.sku.empty()) {
    run.why_no_link = "no SKU config matched its device";
    return;
  }
  const std::optional<SkuConfig> sku = results::recorded_sku(r);
  if (!sku) {
    run.why_no_link = fmt::format("no config for SKU {} on this machine", r.machine.sku);
    return;
  }
  const auto& gb_s = across ? sku->inter_node_gb_s : sku->intra_node_gb_s;
  if (!gb_s || !(*gb_s > 0)) {
    run.why_no_link = fmt::format("SKU {} states no {} bandwidth", r.machine.sku, across ? "inter-node" : "intra-node");
    return;
  }
  run.link = CommLink{*gb_s, fmt::format("sku {}, {}", r.machine.sku, where)};
}

CommRun describe_run(const LabeledResults& f, const std::string& label, const std::optional<SiteConfig>& site,
                     bool& site_used) {
  const auto& r = f.results;
  CommRun run;
  run.origin = f.origin;
  run.label = label;
  run.backend = r.ranks.empty() ? r.machine.backend : r.ranks.front().backend;
  run.library = !r.machine.nccl_version.empty() ? "NCCL " + r.machine.nccl_version
                : r.ranks.empty()                ? std::string()
                                                 : r.ranks.front().mpi_version;
  run.ranks = std::max<int64_t>(r.machine.device_count, static_cast<int64_t>(r.ranks.size()));
  std::set<std::string> hosts;
  for (const auto& rank : r.ranks) hosts.insert(rank.host);
  run.hosts = hosts.empty() ? 1 : static_cast<int64_t>(hosts.size());
  run.sku = r.machine.sku;
  find_link(run, r, site, site_used);
  return run;
}

}  // namespace

std::string comm_no_extrapolation_reason() {
  return "comm files measure collectives, not a training step: there is no step throughput to extrapolate from "
         "(give a comm file to `trainbench estimate --comm-results FILE` to weigh its link in a training estimate)";
}

CommSideBySide build_comm_side_by_side(const std::vector<LabeledResults>& files, const std::optional<SiteConfig>& site) {
  require_one_kind(files);
  CommSideBySide out;
  for (const auto& f : files) {
    if (!is_comm_file(f))
      throw UsageError(fmt::format("{}: not a `trainbench comm` file (workload.command '{}')", f.origin,
                                   f.results.workload.command));
    results::require_consistent_results(f.results, f.origin);
  }
  const auto labels = run_labels(files);
  // A (collective, size, dtype) measured twice in one file (two of a model's messages of one size)
  // is matched occurrence by occurrence: the second in A beside the second in B.
  std::map<std::string, size_t> row_of;
  for (size_t i = 0; i < files.size(); ++i) {
    out.runs.push_back(describe_run(files[i], labels[i], site, out.site_link));
    const CommRun& run = out.runs.back();
    std::map<std::string, int> seen;
    std::vector<std::string> not_ok;
    for (const auto& k : files[i].results.kernels) {
      const int64_t bytes = dim(k, "bytes") > 0 ? dim(k, "bytes") : static_cast<int64_t>(k.bytes);
      const bool in_place = comm::is_in_place(k);
      const std::string triple = fmt::format("{} {} {}{}", k.kind, bytes, k.dtype, in_place ? " in place" : "");
      const std::string key = fmt::format("{} #{}", triple, seen[triple]++);
      auto [it, inserted] = row_of.emplace(key, out.rows.size());
      if (inserted) {
        CommRow row{k.kind, in_place, bytes, k.dtype, k.name, {}};
        row.cells.resize(files.size());
        out.rows.push_back(std::move(row));
      }
      CommCell& c = out.rows[it->second].cells[i];
      c.present = true;
      c.status = k.status;
      if (k.status != "ok") {
        not_ok.push_back(fmt::format("{}{} ({})", k.name, in_place ? " in place" : "", k.status));
        continue;
      }
      c.time_us = k.stats.median_ms * 1e3;
      c.algbw_gb_s = k.algbw_gb_s.value_or(k.gbps);
      c.busbw_gb_s = k.busbw_gb_s.value_or(0);
      if (run.link) c.pct_of_link = 100.0 * c.busbw_gb_s / run.link->gb_s;
    }
    if (!not_ok.empty())
      out.notes.push_back(fmt::format("{} ({}): not measured cleanly, so no figures: {}", run_letter(i), run.origin,
                                      fmt::join(not_ok, ", ")));
    if (run.ranks == 1)
      out.notes.push_back(fmt::format("{} ran one rank: every collective is a local copy, all-reduce's busbw is 0 by "
                                      "definition (2(n-1)/n), and no link was measured",
                                      run_letter(i)));
    if (run.backend == "mpi")
      out.notes.push_back(fmt::format("{} ran MPI on host memory: the host's MPI transport, not a GPU interconnect",
                                      run_letter(i)));
  }
  if (site && !out.site_link)
    out.notes.push_back(
        site->inter_node_gb_s
            ? fmt::format("--site {}: its network is an inter-node link, and no file ran across hosts", site->name)
            : fmt::format("--site {}: its config states no [interconnect] inter_node_gb_s", site->name));
  return out;
}

}  // namespace tb::compare
