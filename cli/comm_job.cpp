#include "cli/comm_job.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>

#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "cli/comm_sku_note.hpp"
#include "harness/comm/collective_data.hpp"
#include "harness/comm/size_list.hpp"
#include "harness/common/errors.hpp"
#include "harness/results/recorded_sku.hpp"
#include "harness/runner/interrupt.hpp"
#include "harness/runner/machine_info.hpp"
#include "harness/runner/measure_op.hpp"
#include "harness/timing/measure_loop.hpp"
#include "kernels/backend.hpp"

namespace tb::cli {

using kernels::comm::World;

results::KernelResult describe_comm_case(const CommCase& c, int64_t ranks, DType dtype,
                                         const kernels::comm::CommDevice& device) {
  const auto counts = comm::buffer_counts(c.collective, c.bytes, ranks, comm::comm_element_bytes(dtype));
  results::KernelResult k;
  k.name = c.name;
  k.kind = comm::to_string(c.collective);
  k.shape = fmt::format("{} x {} ranks", comm::human_bytes(static_cast<double>(counts.size_bytes)), ranks);
  k.dims = {{"bytes", counts.size_bytes}, {"ranks", ranks}, {"count", counts.count}};
  k.dtype = to_string(dtype);
  k.bytes = static_cast<double>(counts.size_bytes);
  k.algorithm = fmt::format("{} ({})", device.backend, device.library_version);
  return k;
}

namespace {

// One placement of one case, sampled and checked on every rank alike: the KernelResult it writes.
results::KernelResult measure_placement(World& world, kernels::comm::CollectiveBackend& backend, const CommCase& c,
                                        const CommJobOptions& o, kernels::comm::Placement placement) {
  const int64_t ranks = world.size();
  const auto counts = comm::buffer_counts(c.collective, c.bytes, ranks, comm::comm_element_bytes(o.dtype));
  results::KernelResult k = describe_comm_case(c, ranks, o.dtype, backend.device());
  const bool in_place = placement == kernels::comm::Placement::InPlace;
  if (in_place) {
    k.shape += ", in place";
    k.dims["in_place"] = 1;
  }

  // Every step below is entered by all ranks or by none: one rank failing alone would leave
  // the others waiting in a collective, so failures are agreed on first.
  std::unique_ptr<kernels::comm::CollectiveRun> run;
  std::string error;
  try {
    run = backend.prepare(c.collective, counts, o.dtype, placement);
  } catch (const UsageError&) {
    throw;  // the same on every rank: a bad --op or --dtype
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (world.max(error.empty() ? 0.0 : 1.0) > 0) {
    k.status = "failed";
    k.error = error.empty() ? "failed on another rank (see its output)" : error;
    if (!error.empty()) fmt::print(stderr, "trainbench comm: rank {}: {}: {}\n", world.rank(), c.name, error);
    return k;
  }

  if (o.warmup_iterations > 0) run->time_ms(o.warmup_iterations);
  timing::LoopHooks hooks;
  hooks.sample_ms = [&] {
    world.barrier();  // every rank starts the sample together
    return world.sum(run->time_ms(o.iterations)) / static_cast<double>(ranks);
  };
  // Rank 0's clock for everyone, so the time budget stops all ranks after the same sample.
  hooks.now_s = [&] {
    double now = timing::steady_now_s();
    world.broadcast(&now, sizeof now, 0);
    return now;
  };
  hooks.should_abort = [&] { return world.max(runner::interrupted() ? 1.0 : 0.0) > 0; };
  hooks.sampling_started = [] { runner::mark_sampling_started(); };
  const timing::LoopResult loop = timing::run_measure_loop(o.policy, hooks);
  k.samples_ms = loop.samples_ms;
  k.stats = loop.stats;
  k.stop_reason = loop.aborted ? "interrupted" : timing::to_string(loop.reason);
  if (loop.aborted) {
    k.status = "interrupted";
    k.error = "interrupted (SIGINT) while sampling";
  }
  const double seconds = k.stats.median_ms / 1e3;
  if (seconds > 0) {
    k.algbw_gb_s = comm::algbw_gb_s(k.bytes, seconds);
    k.busbw_gb_s = comm::busbw_gb_s(c.collective, k.bytes, seconds, ranks);
    k.gbps = *k.algbw_gb_s;  // the schema's bytes / median
  }

  if (o.check && !loop.aborted) {
    const comm::CheckResult check = run->run_and_check(o.corrupt_for_testing);
    const double wrong = world.sum(static_cast<double>(check.wrong));
    k.wrong_elements = static_cast<int64_t>(wrong);
    k.max_rel_error = world.max(check.max_rel_error);
    k.tolerance = check.tolerance;
    k.verified = wrong == 0;
    if (wrong > 0) {
      k.status = "failed";
      k.error = fmt::format("{:.0f} wrong element(s) over {} ranks{}", wrong, ranks, in_place ? ", in place" : "");
      if (check.wrong > 0)
        fmt::print(stderr, "trainbench comm: rank {}: {}{}: {} wrong, first {}\n", world.rank(), c.name,
                   in_place ? " (in place)" : "", check.wrong, check.first_wrong);
    }
  }
  return k;
}

}  // namespace

std::vector<results::KernelResult> measure_comm_case(World& world, kernels::comm::CollectiveBackend& backend,
                                                     const CommCase& c, const CommJobOptions& o) {
  std::vector<results::KernelResult> measured{
      measure_placement(world, backend, c, o, kernels::comm::Placement::OutOfPlace)};
  // nccl-tests' in-place columns: the same size again in one buffer, where the backend can check
  // it; not after an interrupt or where preparing failed (every rank agreed on both).
  const auto& out = measured.front();
  const bool prepared = !(out.status == "failed" && out.stats.samples == 0);
  if (out.status != "interrupted" && prepared && backend.runs_in_place(c.collective))
    measured.push_back(measure_placement(world, backend, c, o, kernels::comm::Placement::InPlace));
  return measured;
}

results::RankInfo local_rank_info(const World& world, const kernels::comm::CommDevice& device) {
  results::RankInfo r;
  r.rank = world.rank();
  r.local_rank = world.local_rank();
  r.host = world.host();
  r.backend = device.backend;
  r.device_name = device.device_name;
  r.device_index = device.device_index;
  r.driver_version = device.driver_version;
  if (device.backend == "nccl") r.nccl_version = device.library_version;
  r.mpi_version = world.mpi_version();
  r.cpu = kernels::cpu_device_info().name;
  utsname u{};
  if (::uname(&u) == 0) r.os = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  return r;
}

std::vector<results::RankInfo> gather_rank_infos(World& world, const results::RankInfo& mine) {
  const nlohmann::json j = {{"rank", mine.rank},         {"local_rank", mine.local_rank},
                            {"host", mine.host},         {"backend", mine.backend},
                            {"device_name", mine.device_name}, {"device_index", mine.device_index},
                            {"driver_version", mine.driver_version}, {"nccl_version", mine.nccl_version},
                            {"mpi_version", mine.mpi_version}, {"cpu", mine.cpu},
                            {"os", mine.os}};
  std::vector<results::RankInfo> all;
  for (const std::string& text : world.gather(j.dump())) {
    const auto r = nlohmann::json::parse(text);
    results::RankInfo info;
    info.rank = r.at("rank");
    info.local_rank = r.at("local_rank");
    info.host = r.at("host");
    info.backend = r.at("backend");
    info.device_name = r.at("device_name");
    info.device_index = r.at("device_index");
    info.driver_version = r.at("driver_version");
    info.nccl_version = r.at("nccl_version");
    info.mpi_version = r.at("mpi_version");
    info.cpu = r.at("cpu");
    info.os = r.at("os");
    all.push_back(std::move(info));
  }
  return all;
}

results::MachineInfo comm_machine_info(const World& world, const kernels::comm::CommDevice& device) {
  results::MachineInfo m;
  m.backend = device.device_memory ? "cuda" : "cpu";
  m.device_name = device.device_name;
  m.device_count = world.size();  // devices (or host processes) taking part in the job
  m.driver_version = device.driver_version;
  if (device.backend == "nccl") m.nccl_version = device.library_version;
  if (const auto d = comm_gpu(device, kernels::cuda_devices())) {
    m.compute_capability = fmt::format("{}.{}", d->compute_capability_major, d->compute_capability_minor);
    m.sm_count = d->sm_count;
    m.memory_gb = d->memory_gb;
    m.cuda_runtime_version = d->cuda_runtime_version;
    m.sku = d->matched_sku;
  }
  m.host = world.host();
  m.cpu = kernels::cpu_device_info().name;
  runner::record_host_load(m);
  utsname u{};
  if (::uname(&u) == 0) m.os = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  m.git_commit = runner::git_commit();
  m.trainbench_version = TB_VERSION;
  m.build_type = runner::build_type();
  m.command_line = runner::own_command_line();
  m.utc_time = runner::utc_now_iso8601();
  return m;
}

void set_link_peaks(results::RunResults& run) {
  // One rank crosses no link: its "bus bandwidth" is a copy inside one GPU's memory, and a % of
  // NVLink would be nonsense (over 100% for send/recv).
  if (run.machine.sku.empty() || run.ranks.size() < 2) return;
  const std::optional<SkuConfig> sku = results::recorded_sku(run);
  if (!sku) return;  // a device whose SKU config is missing still has its bandwidths
  std::set<std::string> hosts;
  for (const auto& r : run.ranks) hosts.insert(r.host);
  const auto& link = hosts.size() > 1 ? sku->inter_node_gb_s : sku->intra_node_gb_s;
  if (!link || !(*link > 0)) return;
  for (auto& k : run.kernels)
    if (k.busbw_gb_s) k.pct_of_peak = 100.0 * *k.busbw_gb_s / *link;
}

}  // namespace tb::cli
