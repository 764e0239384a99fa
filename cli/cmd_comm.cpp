// `trainbench comm`: NCCL collectives (MPI host-memory collectives without a GPU), nccl-tests'
// algbw and busbw, every output checked, timed by the same core as the kernels. One process per
// GPU under `mpirun -np N` or `srun`; rank 0 writes one results file with every rank's metadata.
// Message sizes default to the model's own (harness/comm/model_messages.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fmt/ostream.h>

#include <iostream>
#include <memory>
#include <set>

#include "cli/convergence_note.hpp"
#include "cli/model_flag.hpp"
#include "cli/host_notes.hpp"
#include "cli/command_registry.hpp"
#include "cli/output_flag.hpp"
#include "cli/output_lock_flag.hpp"
#include "cli/comm_job.hpp"
#include "cli/comm_sku_note.hpp"
#include "cli/timing_flags.hpp"
#include "harness/comm/in_place.hpp"
#include "harness/comm/model_messages.hpp"
#include "harness/comm/size_list.hpp"
#include "harness/common/errors.hpp"
#include "harness/results/results_io.hpp"
#include "harness/runner/interrupt.hpp"
#include "kernels/backend.hpp"
#include "kernels/comm/collective_backend.hpp"

namespace tb::cli {
namespace {

struct CommFlags {
  std::string op = "all";
  std::string sizes;
  std::string min_bytes, max_bytes;  // nccl-tests -b, -e
  int64_t factor = 2;                // -f
  int gpus_per_process = 1;          // -g
  int iterations = 20;               // -n
  int warmup_iterations = 1;         // -w
  int check = 1;                     // -c
  std::string model = "gpt3-175b";
  int64_t tp = 8, cp = 1, pp = 1, dp = 1, ep = 1;
  int64_t micro_batch_size = 1;
  std::vector<std::string> layout_given;  // the layout flags typed: they size the model's messages only
  std::string dtype = "bf16";
  std::string backend = "auto";
  std::string out;
  bool json = false;
  bool corrupt_for_testing = false;
  TimingFlags timing;
};

// Fewer, shorter samples than the kernels' defaults: each sample is already -n launches, and a
// sweep of 8 B … 8 GiB has 31 sizes (nccl-tests takes one sample of 20).
timing::TimingPolicy comm_timing_defaults() {
  timing::TimingPolicy p;
  p.min_samples = 5;
  p.min_time_s = 0.1;
  p.max_time_s = 10;
  p.warmup_launches = 0;
  return p;
}

std::vector<CommCase> cases_from_flags(const CommFlags& f, DType dtype, std::string* header) {
  const bool all_ops = f.op == "all";
  std::optional<comm::Collective> only;
  if (!all_ops) {
    std::vector<std::string> accepted;
    for (comm::Collective c : comm::measured_collectives()) {
      accepted.emplace_back(comm::to_string(c));
      if (f.op == accepted.back()) only = c;
    }
    if (!only)
      throw UsageError(fmt::format("--op: unknown collective '{}'; accepted values: {}, all", f.op,
                                   fmt::join(accepted, ", ")));
  }
  std::vector<int64_t> sizes;
  if (!f.sizes.empty()) {
    if (!f.min_bytes.empty() || !f.max_bytes.empty()) throw UsageError("give --sizes or -b/-e, not both");
    sizes = comm::parse_size_list(f.sizes, "--sizes");
  } else if (!f.min_bytes.empty() || !f.max_bytes.empty()) {
    const int64_t lo = f.min_bytes.empty() ? 8 : comm::parse_size_bytes(f.min_bytes, "-b");
    const int64_t hi = f.max_bytes.empty() ? lo : comm::parse_size_bytes(f.max_bytes, "-e");
    sizes = comm::geometric_sizes(lo, hi, f.factor, "-b/-e/-f");
  }
  std::vector<CommCase> cases;
  const int64_t element = dtype_bytes(dtype);
  for (int64_t s : sizes)
    if (s % element != 0)
      throw UsageError(fmt::format("{}: {} B is not a whole number of {} elements ({} B each)",
                                   f.sizes.empty() ? "-b/-e" : "--sizes", s, to_string(dtype), element));
  if (!sizes.empty()) {
    if (!f.layout_given.empty())
      throw UsageError(fmt::format("{} sizes the model's own messages; with {} the sizes are given, so it would be "
                                   "ignored: drop it, or drop {} to measure the model's messages",
                                   f.layout_given.front(), f.sizes.empty() ? "-b/-e" : "--sizes",
                                   f.sizes.empty() ? "-b/-e" : "--sizes"));
    load_model_flag(f.model);  // a misspelt --model is refused, not ignored
    const auto ops = all_ops ? comm::measured_collectives() : std::vector<comm::Collective>{*only};
    for (comm::Collective c : ops)
      for (int64_t s : sizes) cases.push_back({fmt::format("{}.{}", comm::to_string(c), s), c, s, "--sizes"});
    return cases;
  }
  const ModelConfig model = load_model_flag(f.model);
  comm::ParallelLayout layout;
  layout.tp = f.tp;
  layout.cp = f.cp;
  layout.pp = f.pp;
  layout.dp = f.dp;
  layout.ep = f.ep;
  layout.micro_batch_size = f.micro_batch_size;
  comm::validate_layout(layout, model);
  const auto messages = comm::model_messages(model, layout, dtype);
  *header = fmt::format("# message sizes of {} at tp {}{} pp {} dp {}{}, micro-batch {} x {} tokens, {}:\n", model.name,
                        f.tp, f.cp > 1 ? fmt::format(" cp {}", f.cp) : "", f.pp, f.dp,
                        f.ep > 1 ? fmt::format(" ep {}", f.ep) : "", f.micro_batch_size,
                        model.seq_len, to_string(dtype));
  for (const auto& m : messages) {
    if (only && m.collective != *only) continue;
    *header += fmt::format("#   {:<24} {:<13} {:>10}  {}\n", m.name, comm::to_string(m.collective),
                           comm::human_bytes(static_cast<double>(m.bytes)), m.why);
    cases.push_back({m.name, m.collective, m.bytes, m.why});
  }
  if (cases.empty()) {  // a collective the model does not send: measured at the activation size
    const auto& act = messages.front();
    const bool alltoall = *only == comm::Collective::AllToAll;
    cases.push_back({"tp.activation." + f.op, *only, act.bytes,
                     !alltoall   ? "b*s*d: the training step sends no " + f.op
                     : model.moe ? "b*s*d: no " + f.op + " without expert parallelism (give --ep)"
                                 : "b*s*d: a dense model sends no " + f.op});
    *header += fmt::format("#   {:<24} {:<13} {:>10}  {}\n", cases.back().name, f.op,
                           comm::human_bytes(static_cast<double>(act.bytes)), cases.back().why);
  }
  return cases;
}

// nccl-tests' table: out-of-place then in-place time, algbw, busbw and #wrong per size, with
// trainbench's noise of each median beside its group.
void print_table_header(std::ostream& out) {
  fmt::print(out, "# {:>12} {:>12} {:>6} {:<26} {:^50}  {:^50}\n", "", "", "", "", "out-of-place", "in-place");
  fmt::print(out, "# {:>12} {:>12} {:>6} {:<26} {:>10} {:>8} {:>8} {:>7} {:>6}  {:>10} {:>8} {:>8} {:>7} {:>6}\n",
             "size", "count", "type", "name", "time", "algbw", "busbw", "#wrong", "noise", "time", "algbw", "busbw",
             "#wrong", "noise");
  fmt::print(out, "# {:>12} {:>12} {:>6} {:<26} {:>10} {:>8} {:>8} {:>7} {:>6}  {:>10} {:>8} {:>8} {:>7} {:>6}\n",
             "(B)", "(elements)", "", "", "(us)", "(GB/s)", "(GB/s)", "", "se med", "(us)", "(GB/s)", "(GB/s)", "",
             "se med");
}

// One placement's columns: time, algbw, busbw, #wrong and noise, or its status where it has no
// checked figures; "n/a" where the backend runs no checked in-place form (NCCL's all-to-all and
// send/recv).
std::string placement_cells(const results::KernelResult* k) {
  if (!k) return fmt::format("{:>10} {:>8} {:>8} {:>7} {:>6}", "n/a", "n/a", "n/a", "n/a", "");
  if ((k->status == "failed" && !k->busbw_gb_s) || k->status == "skipped" ||
      (k->status == "interrupted" && k->stats.samples == 0))
    return fmt::format("{}: {}", k->status, k->error);
  // An interrupted size shows what it sampled, marked: never read as a checked result.
  const std::string wrong = k->status == "interrupted" ? "intr."
                            : k->wrong_elements        ? fmt::format("{}", *k->wrong_elements)
                                                       : "N/A";
  return fmt::format("{:>10.2f} {:>8.2f} {:>8.2f} {:>7} {}", k->stats.median_ms * 1e3, k->algbw_gb_s.value_or(0),
                     k->busbw_gb_s.value_or(0), wrong, noise_cell(*k, 6, 1));
}

// A size's row: its out-of-place entry and, where measured, its in-place one.
void print_row(std::ostream& out, const results::KernelResult& k, const results::KernelResult* in_place) {
  if ((k.status == "failed" && !k.busbw_gb_s) || k.status == "skipped" ||
      (k.status == "interrupted" && k.stats.samples == 0)) {
    fmt::print(out, "  {:>12} {:>12} {:>6} {:<26} {}: {}\n", k.dims.at("bytes"), k.dims.at("count"), k.dtype, k.name,
               k.status, k.error);
    return;
  }
  std::string outliers = outliers_text(k);
  if (in_place && !outliers_text(*in_place).empty())
    outliers += (outliers.empty() ? "" : "; ") + std::string("in place: ") + outliers_text(*in_place);
  fmt::print(out, "  {:>12} {:>12} {:>6} {:<26} {}  {}{}\n", k.dims.at("bytes"), k.dims.at("count"), k.dtype, k.name,
             placement_cells(&k), placement_cells(in_place), outliers.empty() ? "" : "  " + outliers);
  out.flush();
}

void print_closing(std::ostream& out, const results::RunResults& r, const kernels::comm::CommDevice& device) {
  const int ranks = r.machine.device_count;
  std::set<std::string> hosts;
  for (const auto& rank : r.ranks) hosts.insert(rank.host);
  double busbw_sum = 0;
  int counted = 0;
  for (const auto& k : r.kernels) {
    // nccl-tests' closing "Avg bus bandwidth": over both placements (its TimeTest adds the
    // out-of-place and the in-place busbw alike), so the line reads the same quantity as its own.
    if (!k.busbw_gb_s || k.status != "ok") continue;
    busbw_sum += *k.busbw_gb_s;
    ++counted;
  }
  fmt::print(out, "# {} rank(s) on {} node(s), {} on {}; times are medians over samples of launches, averaged over "
                  "ranks\n",
             ranks, hosts.size(), device.library_version, device.device_name);
  // One rank's figures are of no link: all-reduce's busbw is 0 by definition, broadcast's and
  // reduce's (factor 1) the time of a call that moves nothing, which no average should carry.
  if (counted && ranks > 1) fmt::print(out, "# Avg bus bandwidth    : {:.3f} GB/s\n", busbw_sum / counted);
  if (counted && ranks == 1) fmt::print(out, "# Avg bus bandwidth    : n/a (one rank)\n");
  if (ranks == 1)
    fmt::print(out,
               "# One rank measures no link: all-reduce busbw is 0 by definition (2(n-1)/n), every other collective is "
               "a local copy or, as broadcast and reduce at their root, moves nothing (their busbw, algbw x 1 as "
               "nccl-tests defines it, then reads as the call's overhead, not a bandwidth). It cannot measure NVLink, PCIe peer-to-peer or network bandwidth, nor how collectives scale "
               "with ranks and nodes. Run one process per GPU: `mpirun -np N trainbench comm` (across nodes with a "
               "hostfile: scripts/mpi-comm-example.sh) or srun (scripts/slurm-comm.sbatch).\n");
  if (!device.device_memory)
    fmt::print(out, "# MPI host-memory collectives: a test of the multi-process path and of the host's MPI transport, "
                    "not of GPU interconnects.\n");
}

// Rank 0 writes --out, so it alone takes the lock, before any collective is measured; every rank
// learns whether it was refused, so that the others end too (exit 1) instead of waiting in the
// first collective for a rank that left. False on the ranks that are to end quietly.
bool lock_job_out(kernels::comm::World& world, const std::string& out, results::OutputLock& lock) {
  if (out.empty()) return true;  // the same flags on every rank: all or none come here
  std::string refusal, note;
  if (world.rank() == 0) {
    try {
      lock = lock_output_file(out, "--out", &note);
    } catch (const RuntimeError& e) {
      refusal = e.what();
    }
  }
  const bool refused = world.max(refusal.empty() ? 0.0 : 1.0) > 0;
  if (!refusal.empty()) throw RuntimeError(refusal);
  fmt::print(stderr, "{}", note);
  if (refused) set_exit_code(kExitRuntime);
  return !refused;
}

void run_comm(const CommFlags& f) {
  const DType dtype = parse_dtype(f.dtype, "--dtype");
  comm::comm_element_bytes(dtype);  // refuses dtypes collectives do not run in
  if (f.gpus_per_process != 1)
    throw UsageError(fmt::format("-g {}: trainbench runs one process per GPU (nccl-tests' -g 1); start N processes "
                                 "with mpirun -np N or srun instead",
                                 f.gpus_per_process));
  if (f.iterations < 1) throw UsageError(fmt::format("-n must be >= 1 (got {})", f.iterations));
  if (f.warmup_iterations < 0) throw UsageError(fmt::format("-w must be >= 0 (got {})", f.warmup_iterations));
  if (f.check != 0 && f.check != 1) throw UsageError(fmt::format("-c must be 0 or 1 (got {})", f.check));
  CommJobOptions options;
  options.dtype = dtype;
  options.iterations = f.iterations;
  options.warmup_iterations = f.warmup_iterations;
  options.check = f.check == 1;
  options.corrupt_for_testing = f.corrupt_for_testing;
  options.policy = to_policy(f.timing);
  std::string header;
  const std::vector<CommCase> cases = cases_from_flags(f, dtype, &header);

  const std::string backend_name = kernels::comm::resolve_backend_name(f.backend);
  auto world = kernels::comm::make_world(backend_name == "mpi");
  results::OutputLock out_lock;
  if (!lock_job_out(*world, f.out, out_lock)) return;
  runner::install_interrupt_handler();
  try {
    auto backend = kernels::comm::make_collective_backend(backend_name, *world);
    const auto device = backend->device();
    const bool lead = world->rank() == 0;
    std::ostream& out = f.json ? std::cerr : std::cout;
    if (lead) {
      fmt::print(out, "# trainbench comm: {} rank(s), backend {} ({}), {}\n", world->size(), device.backend,
                 device.library_version, device.device_name);
      out << header;
      print_table_header(out);
      // Before the sizes, as run and gemm say it: % of the link below is the matched SKU's.
      fmt::print(stderr, "{}", comm_sku_note(device, kernels::cuda_devices()));
    }
    results::RunResults run;
    // Before the first size, as every command records it: the host's load and the time when the
    // run started, not after its own ranks loaded the cores.
    if (lead) run.machine = comm_machine_info(*world, device);
    run.workload.command = "comm";
    const bool model_sizes = f.sizes.empty() && f.min_bytes.empty() && f.max_bytes.empty();
    run.workload.model = model_sizes ? f.model : "";
    run.workload.tensor_parallel = model_sizes ? f.tp : 1;  // tp only shapes the model's own message sizes
    run.workload.micro_batch = f.micro_batch_size;
    run.workload.dtype = to_string(dtype);
    run.workload.device = device.device_memory ? "cuda" : "cpu";
    bool any_failed = false, interrupted = false;
    std::string stopped_at;
    for (const auto& c : cases) {
      std::vector<results::KernelResult> measured;
      if (interrupted) {
        // The sizes never started are in the file too, so that it says what the run lacks.
        results::KernelResult k = describe_comm_case(c, world->size(), dtype, device);
        k.status = "skipped";
        k.error = fmt::format("not measured: the run was interrupted at {}", stopped_at);
        measured.push_back(std::move(k));
      } else {
        measured = measure_comm_case(*world, *backend, c, options);  // out of place, then in place
        for (const auto& k : measured) {
          any_failed |= k.status == "failed";
          if (k.status == "interrupted") interrupted = true, stopped_at = k.name;
        }
      }
      if (lead) print_row(out, measured.front(), measured.size() > 1 ? &measured[1] : nullptr);
      for (auto& k : measured) run.kernels.push_back(std::move(k));
    }
    // A Ctrl-C after the last size's samples still ends the job as interrupted, on every rank alike,
    // and every rank exits with the signal some rank got (143 for SIGTERM over 130 for SIGINT).
    const int signal_exit =
        static_cast<int>(world->max(runner::interrupted() ? static_cast<double>(runner::interrupted_exit_code()) : 0.0));
    const bool signalled = interrupted || signal_exit > 0;
    run.ranks = gather_rank_infos(*world, local_rank_info(*world, device));
    // A wrong result outranks the interrupt: exit 1, as nccl-tests fails on #wrong.
    const int exit_code = any_failed         ? kExitRuntime
                          : signal_exit > 0 ? signal_exit
                          : signalled       ? kExitInterrupted
                                            : 0;
    if (!lead) {
      if (exit_code) set_exit_code(exit_code);
      return;
    }
    set_link_peaks(run);
    run.status = interrupted ? "partial" : any_failed ? "failed" : "complete";
    if (!f.out.empty()) results::write_results_file(f.out, run);
    print_closing(out, run, device);
    if (!f.out.empty()) fmt::print(out, "# results: {}\n", f.out);
    fmt::print(stderr, "{}", unconverged_note(run.kernels, options.policy.target_rel_noise));
    fmt::print(stderr, "{}", host_notes(run.machine, /*measured_gemms=*/false));
    if (f.json) std::cout << results::to_json(run).dump(2) << "\n";
    if (interrupted)
      fmt::print(stderr, "trainbench: interrupted at {}; kept what was measured{}\n", stopped_at,
                 f.out.empty() ? "" : " in " + f.out);
    else if (signalled)
      fmt::print(stderr, "trainbench: interrupted after the last size; every size was measured\n");
    if (exit_code) set_exit_code(exit_code);
  } catch (const UsageError&) {
    throw;  // every rank refuses the same input the same way
  } catch (const std::exception& e) {
    if (world->size() == 1) throw;
    // One rank alone failing must not leave the others blocked in a collective.
    fmt::print(stderr, "trainbench comm: rank {}: error: {}\n", world->rank(), e.what());
    world->abort(kExitRuntime);
  }
}

void add_comm_command(CLI::App& app) {
  auto flags = std::make_shared<CommFlags>();
  flags->timing = timing_flags_from(comm_timing_defaults());
  auto* cmd = app.add_subcommand(
      "comm", "Collectives (NCCL; MPI host memory without a GPU): time, algbw, busbw as nccl-tests, results checked");
  cmd->add_option("--op", flags->op,
                  "allreduce, allgather, reducescatter, alltoall, sendrecv, broadcast, reduce (root 0), or all: with "
                  "--sizes or -b/-e every one of them, in that order (nccl-tests runs each as its own binary); "
                  "with the model's sizes every message the model sends")
      ->capture_default_str();
  cmd->add_option("--sizes", flags->sizes, "MIN:MAX:FACTOR (8:8G:2) or a list (1M,16M); default: the model's messages");
  cmd->add_option("--model", flags->model, "Model whose message sizes are measured by default")->capture_default_str();
  auto layout_flag = [&](const std::string& name, int64_t& value, const std::string& help) {
    cmd->add_option(name, value, help)->capture_default_str()->each(
        [flags, name](const std::string&) { flags->layout_given.push_back(name); });
  };
  layout_flag("--tp", flags->tp, "Tensor-parallel size the model's messages assume");
  layout_flag("--cp", flags->cp, "Context-parallel size the model's messages assume");
  layout_flag("--ep", flags->ep, "Expert-parallel size the model's messages assume (MoE models: adds the all-to-all)");
  layout_flag("--pp", flags->pp, "Pipeline-parallel size the model's messages assume");
  layout_flag("--dp", flags->dp, "Data-parallel size the model's messages assume");
  layout_flag("--micro-batch-size", flags->micro_batch_size, "Sequences per micro-batch (b)");
  cmd->add_option("--dtype", flags->dtype, "bf16 or fp32")->capture_default_str();
  cmd->add_option("--backend", flags->backend, "nccl (GPU), mpi (host memory) or auto")->capture_default_str();
  cmd->add_option("-b", flags->min_bytes, "nccl-tests: minimum size (e.g. 8, 1M)");
  cmd->add_option("-e", flags->max_bytes, "nccl-tests: maximum size (e.g. 8G)");
  cmd->add_option("-f", flags->factor, "nccl-tests: size multiplication factor")->capture_default_str();
  cmd->add_option("-g", flags->gpus_per_process, "nccl-tests: GPUs per process (only 1: one process per GPU)")
      ->capture_default_str();
  cmd->add_option("-n", flags->iterations, "nccl-tests: launches per timing sample")->capture_default_str();
  cmd->add_option("-w", flags->warmup_iterations, "nccl-tests: untimed warm-up launches")->capture_default_str();
  cmd->add_option("-c", flags->check, "nccl-tests: check results (1) or not (0)")->capture_default_str();
  cmd->add_option("--out", flags->out, fmt::format("Write the job's results file (JSON, schema v{}; rank 0 writes it)", results::kSchemaVersion))
      ->check(writable_output("--out"));
  cmd->add_flag("--json", flags->json, "Print the results as JSON on stdout (the table goes to stderr)");
  cmd->add_flag("--corrupt-output-for-testing", flags->corrupt_for_testing, "Plant a wrong value before checking")
      ->group("");
  add_timing_flags(cmd, flags->timing);
  cmd->callback([flags] { run_comm(*flags); });
}

const Registration registration{"comm", 45, add_comm_command};

}  // namespace
}  // namespace tb::cli
