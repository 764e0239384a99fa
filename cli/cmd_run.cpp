// `trainbench run`: measure every kernel of one training step of a model on this machine,
// print the step, write a results file, and extrapolate to the article's scenario.
// With no arguments it measures GPT-3 175B at tensor-parallel 8 (the article's model) within a
// time budget (--budget, 100 s by default); without
// a GPU it says so in one line and measures the CPU backend at a short sequence, so the run
// ends within a minute on 2 cores.
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iostream>

#include "cli/command_registry.hpp"
#include "cli/model_flag.hpp"
#include "cli/convergence_note.hpp"
#include "cli/host_notes.hpp"
#include "cli/output_flag.hpp"
#include "cli/device_flags.hpp"
#include "cli/gemm_case.hpp"
#include "cli/kernel_limits.hpp"
#include "cli/quantity_parse.hpp"
#include "cli/run_out_file.hpp"
#include "cli/run_printer.hpp"
#include "cli/site_flags.hpp"
#include "cli/timing_flags.hpp"
#include "kernels/cpu/gemm_kernel.hpp"
#include "harness/common/errors.hpp"
#include "harness/common/human_format.hpp"
#include "harness/estimate/estimate.hpp"
#include "harness/estimate/layout_search.hpp"
#include "harness/estimate/memory_footprint.hpp"
#include "harness/estimate/measured_throughput.hpp"
#include "harness/results/results_io.hpp"
#include "harness/runner/interrupt.hpp"
#include "harness/runner/machine_info.hpp"
#include "harness/runner/step_runner.hpp"
#include "harness/workload/optimizer_step.hpp"

namespace tb::cli {
namespace {

// Data-parallel ranks: more than any training job runs (Llama 3 405B: 128), and small enough that
// micro-batch x seq x dp stays far inside 64 bits.
constexpr int64_t kMaxDataParallel = 1'000'000;
// Sequences per micro-batch and micro-batches per optimizer step: estimate's bounds on the same
// quantities (harness/comm/parallel_layout.cpp), far beyond any job's (GPT-3 175B: 1536 sequences a
// step), and small enough that a micro-batch's tokens and the optimizer step's 1/M stay exact.
constexpr int64_t kMaxMicroBatch = 1'000'000;
constexpr int64_t kMaxMicroBatches = 1'000'000;

// CPU defaults: the model's real widths at a short sequence, and a lighter timing policy, so
// that the article's 175B step runs in well under a minute on two cores.
constexpr int64_t kCpuDefaultSeq = 128;
// A whole step within two minutes (GPT-3 175B at tp 8 on an H100 is the case that counts),
// start-up and the extrapolation included: each kernel's timing shares what is left.
constexpr double kDefaultBudgetS = 100;

struct RunFlags {
  std::string model = "gpt3-175b";
  double budget_s = kDefaultBudgetS;
  std::optional<int64_t> tp;  // default: default_tensor_parallel (harness/estimate/layout_search.hpp)
  int64_t ep = 1;
  int64_t micro_batch = 1;
  std::optional<int64_t> micro_batches;  // per optimizer step; default: the model's batch / (b x dp)
  std::optional<int64_t> dp;             // default: ep
  int64_t seq = 0;
  bool seq_given = false;
  std::string dtype;
  DeviceFlags dev;
  std::string sku;
  std::string impl = "fused";
  int candidates = 1;
  std::string out;
  std::string tokens;
  std::string site = "500p";
  bool no_estimate = false;
  bool quiet = false;
  TimingFlags timing;
};

std::string slug(std::string s) {
  for (char& c : s) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  s.erase(std::unique(s.begin(), s.end(), [](char a, char b) { return a == '-' && b == '-'; }), s.end());
  while (!s.empty() && s.back() == '-') s.pop_back();
  while (!s.empty() && s.front() == '-') s.erase(s.begin());
  return s.empty() ? "device" : s;
}

std::string default_out_path(const std::string& device_name, const std::string& model, const std::string& utc) {
  std::string stamp = utc.substr(0, 19);
  std::replace(stamp.begin(), stamp.end(), ':', '-');
  return fmt::format("results/{}-{}-{}.json", slug(device_name), model, stamp);
}

void print_progress(const runner::StepProgress& p, bool tty) {
  if (p.index == p.total) {
    fmt::print(stderr, "{}measured {} of {} kernels in {:.1f} s{}\n", tty ? "\r" : "", p.measured, p.total,
               p.elapsed_s, tty ? "                              " : "");
    return;
  }
  fmt::print(stderr, "{}{}{}", tty ? "\r" : "", progress_line(p), tty ? "        " : "\n");
}

// The article's question, answered twice: at peak (its arithmetic) and at the measured rate.
void print_article_estimate(std::ostream& out, const results::RunResults& r, const ModelConfig& model,
                            const std::optional<SkuConfig>& sku, DType dtype, const RunFlags& f) {
  if (f.no_estimate) return;
  if (r.status != "complete") {
    fmt::print(out, "\nNo extrapolation: the run is {} (a step with missing kernels would flatter the estimate).\n",
               r.status);
    return;
  }
  EstimateRequest req;
  req.model = model;
  if (!f.tokens.empty()) req.tokens = parse_positive_tokens(f.tokens);
  if (!(req.tokens > 0) && !(model.train_tokens > 0)) {
    fmt::print(out, "\nNo extrapolation: {}'s config publishes no training token count; give --tokens.\n", model.name);
    return;
  }
  req.dtype = mfu_peak_dtype(dtype);  // the measured MFU shown beside the peak answer is the step's
  req.site = load_site_flag(f.site);
  const MeasuredThroughput measured = throughput_from_results(r, "this run");
  req.sustained_tflops_per_gpu = measured.sustained_tflops_per_gpu;
  req.throughput_source = measured.source;
  req.throughput_measured = true;
  req.measured_power_w = measured.mean_power_w;
  if (sku && sku->peak_tflops_or_zero(req.dtype) > 0) req.sku = sku;  // the CPU's pseudo-SKU is no config file
  const double tokens = req.tokens > 0 ? req.tokens : model.train_tokens;
  fmt::print(out, "\nExtrapolation: {} on {} tokens{}, {} ({} PFLOPS, {} each)\n", model.display_name,
             human_count(tokens),
             tokens == model.train_tokens && !model.tokens_estimated.empty()
                 ? fmt::format(" (estimated: {})", model.tokens_estimated)
                 : "",
             req.site->display_name,
             req.site->peak_pflops, human_money(req.site->cost, req.site->currency));
  const bool cpu = r.machine.backend == "cpu";
  bool first = true;
  for (double days : {1.0, 30.0}) {
    req.days = days;
    const EstimateResult e = estimate(req);
    if (first) {
      fmt::print(out, "  training compute: {} PF-days ({}){}\n", human_pf_days(e.pf_days),
                 model.moe ? "6*N_active*D" : "6*N*D",
                 cpu ? "" : fmt::format("; the measured column runs the model's {} FLOP (attention too) at the measured MFU",
                                        sci(e.training_model_flops)));
      const std::string seq_note = sequence_mismatch_note(r.workload.seq_len, model.seq_len, model.name);
      if (!seq_note.empty()) fmt::print(out, "  note: {}\n", seq_note);
      const std::string optimizer_note = optimizer_share_note(r);
      if (!optimizer_note.empty()) fmt::print(out, "  note: {}\n", optimizer_note);
      // A data center is built of GPUs: the CPU's MFU of its own peak would size sites of no machine measured.
      if (cpu)
        fmt::print(out, "  the measured column is left out: this run measured the CPU backend ({}), and a CPU's rate "
                        "sizes no GPU data center; measure on a GPU for it\n",
                   r.machine.device_name);
      fmt::print(out, "  {:>9}  {:<58}  {}\n", "finish in", "at peak (the article)",
                 cpu             ? "at measured: n/a (CPU)"
                 : e.at_measured ? fmt::format("at measured MFU {:.1f}%", 100 * *e.mfu)
                                 : "at measured");
      first = false;
    }
    // The article's fractional investment, then what building whole sites costs.
    const auto cell = [&](const SiteEstimate& s) {
      return fmt::format("{} sites = {}; build {} = {}", human_sites(s.sites_needed),
                         human_money(s.total_cost, e.currency), s.sites_whole,
                         human_money(s.cost_whole_sites, e.currency));
    };
    fmt::print(out, "  {:>5} {:<4} {:<58}  {}\n", days, days == 1 ? "day" : "days", cell(*e.at_peak),
               cpu             ? std::string("n/a")
               : e.at_measured ? cell(*e.at_measured)
                               : std::string("n/a (no peak for this device)"));
  }
}

// The step measured here is one tensor-parallel group's kernels; whether that group alone could
// hold the model for training is another matter, said so that an MFU is not read as a plan.
void print_memory_note(std::ostream& out, const ModelConfig& model, const WorkloadOptions& options,
                       const std::optional<SkuConfig>& sku) {
  if (!sku || !(sku->memory_gb > 0)) return;
  MemoryRequest m;
  m.model = model;
  m.layout.tp = options.tensor_parallel;
  m.layout.ep = options.expert_parallel;
  m.layout.dp = options.expert_parallel;  // the fewest replicas that hold e expert ranks
  m.layout.micro_batch_size = options.micro_batch;
  m.layout.seq_len = options.seq_len;
  m.fp8 = options.dtype == DType::FP8;
  const MemoryFootprint footprint = memory_footprint(m);
  const MemoryFit fit = judge_fit(footprint.peak().total_bytes(), sku->capacity_gib());
  const std::string ep = fmt::format("{}{}",
                                     options.expert_parallel > 1 ? fmt::format(" --ep {0} --dp {0}", options.expert_parallel) : "",
                                     m.fp8 ? " --dtype fp8" : "");
  fmt::print(out, "\nMemory to train at tp {}{} without pipelining (weights, gradients, Adam, activations): {:.1f} GiB "
                  "per GPU of {}: {}",
             options.tensor_parallel,
             options.expert_parallel > 1 ? fmt::format(" x ep {} (dp {})", options.expert_parallel, options.expert_parallel) : "",
             footprint.peak().total_bytes() / gib_to_bytes(1), sku->capacity_text(), to_string(fit.verdict));
  const auto suggestion = fit.verdict == MemoryVerdict::Fits ? std::nullopt : suggest_fitting_layout(m, sku->capacity_gib());
  fmt::print(out, "{}\n", suggestion ? fmt::format(" (fits with {}: trainbench estimate --tp {}{} {})", *suggestion,
                                                     options.tensor_parallel, ep, *suggestion)
                                      : "");
  if (m.fp8)
    fmt::print(out, "  (fp8 training under Transformer Engine: with its e4m3 copies of the layers' weights and their "
                    "transposes, {:.1f} GiB, and the GEMM inputs saved for backward in fp8; docs/memory.md)\n",
               footprint.peak().fp8_weight_bytes / gib_to_bytes(1));
}

// What the step charges once per optimizer step, and which flags change it: one line.
std::string optimizer_step_line(const Workload& w, const MicroBatches& m) {
  const auto adam = std::find_if(w.ops.begin(), w.ops.end(), [](const Op& op) { return op.kind == OpKind::AdamUpdate; });
  if (adam == w.ops.end()) return "";
  const int64_t dp = w.options.data_parallel, ep = w.options.expert_parallel;
  // The distributed optimizer shards each parameter over the ranks that hold it: the shared ones
  // over dp, a routed expert's over the dp/ep ranks that hold that expert.
  const std::string sharded =
      dp <= 1   ? ""
      : ep > 1 ? fmt::format("; distributed optimizer over dp {}: the shared parameters 1/{}, the routed experts' 1/{}",
                             dp, dp, dp / ep)
               : fmt::format("; 1/{} of this GPU's, distributed optimizer over dp {}", dp, dp);
  const bool casts = std::any_of(w.ops.begin(), w.ops.end(), [](const Op& op) {
    return op.per_optimizer_step && op.kind == OpKind::Fp8CastTranspose;
  });
  return fmt::format("Optimizer step: Adam over {} parameters here ({} calls of {}{}){}, once per M = {} micro-batches "
                     "({}): 1/{} of it in the step; --micro-batches M or --dp D changes it",
                     human_count(static_cast<double>(adam->calls_per_step * adam->memory.cols)), adam->calls_per_step,
                     adam->memory.cols, sharded, casts ? " and the fp8 weight casts" : "", m.count, m.why, m.count);
}

// A site built of one GPU SKU prices that SKU's throughput: the rate measured here must be that
// SKU's, or the answer mixes two machines (estimate --results refuses the same).
void check_site_for(const RunFlags& f, const kernels::DeviceInfo& info, const std::optional<SkuConfig>& sku) {
  if (f.no_estimate) return;
  const std::optional<SiteConfig> site = load_site_flag(f.site);
  if (!site || !site->sku) return;
  if (info.backend == "cpu")
    throw UsageError(fmt::format("--site {} is built of {} GPUs; this run measures the CPU backend ({}): give a site "
                                 "without a GPU SKU (500p, the default), or measure on a GPU of that SKU",
                                 f.site, *site->sku, info.name));
  if (!sku)
    throw UsageError(fmt::format("--site {} is built of {} GPUs; this GPU ({}) matches no SKU config, so its rate "
                                 "cannot be checked against the site's: give --sku {} if it is one",
                                 f.site, *site->sku, info.name, *site->sku));
  if (sku->name != *site->sku)
    throw UsageError(fmt::format("--site {} is built of {} GPUs; this GPU is a {} ({}): give a site of {} GPUs, or --sku "
                                 "{} if the match is wrong",
                                 f.site, *site->sku, sku->name, info.name, sku->name, *site->sku));
}

void run_run(const RunFlags& f, bool gpu, const std::string& why_no_gpu) {
  // Notes wait until every check has passed: a usage error is then the one message.
  std::string notes;
  RunOutFile out_file = claim_run_out_file(f.out, &notes);
  if (f.dev.device == "auto" && !gpu) notes += fmt::format("trainbench: no GPU ({}); measuring the CPU backend\n", why_no_gpu);
  auto backend = make_backend(f.dev);
  const kernels::DeviceInfo info = backend->device_info();
  const bool on_cpu = info.backend == "cpu";
  check_attention_impl_for(f.impl, info);  // before minutes of other kernels, not as one "unsupported" row
  check_candidates_for(f.candidates, info);

  const ModelConfig model = load_model_flag(f.model);
  check_attention_head_dim_for(f.impl, info, model.head_dim, model.name);
  WorkloadOptions options;
  if (f.seq_given && f.seq <= 0) throw UsageError(fmt::format("--seq must be a positive number of tokens (got {})", f.seq));
  options.seq_len = f.seq > 0 ? f.seq : (on_cpu ? std::min<int64_t>(kCpuDefaultSeq, model.seq_len) : 0);
  std::string tp_why;
  if (f.tp) {
    options.tensor_parallel = *f.tp;
  } else {
    // The device's memory decides whether the model needs a tensor-parallel group at all.
    const auto matched = info.matched_sku.empty() ? std::nullopt : std::optional<std::string>(info.matched_sku);
    int per_server = 8;
    if (matched) {
      try {
        per_server = load_sku(*matched).gpus_per_server;
      } catch (const UsageError&) {
      }
    }
    // Sized for the step it will measure: its micro-batch and sequence, not the model's defaults.
    const DefaultTensorParallel d = default_tensor_parallel(model, info.memory_gb * 1e9 / gib_to_bytes(1), per_server,
                                                            f.micro_batch, options.seq_len);
    options.tensor_parallel = d.tp;
    tp_why = fmt::format(" ({})", d.why);
  }
  options.micro_batch = f.micro_batch;
  options.expert_parallel = f.ep;
  options.data_parallel = f.dp.value_or(f.ep);
  const MicroBatches micro_batches =
      resolve_micro_batches(model, options.micro_batch, options.seq_len, options.data_parallel, f.micro_batches);
  options.micro_batches = micro_batches.count;
  if (on_cpu && !f.dtype.empty()) {
    // A step on the CPU: what its GEMMs run, less fp64, which its memory-bound kernels (norms,
    // activations, cross-entropy) do not store.
    std::vector<std::string> accepted;
    for (DType d : kernels::cpu::supported_gemm_dtypes())
      if (d != DType::FP64) accepted.push_back(to_string(d));
    const std::string asked = to_string(parse_dtype(f.dtype, "--dtype"));
    if (std::find(accepted.begin(), accepted.end(), asked) == accepted.end())
      throw UsageError(fmt::format("--dtype {}: a step on the CPU backend runs {}; accepted values here: {}{}", f.dtype,
                                   fmt::join(accepted, ", "), fmt::join(accepted, ", "),
                                   asked == "fp64" ? " (`trainbench gemm --dtype fp64` measures an fp64 GEMM)" : ""));
  }
  options.dtype = resolve_gemm_dtype(f.dtype, info, &notes);
  const Workload workload = build_workload(model, options);
  check_fp8_step_for(workload, info);
  const bool memory_bound_ops = std::any_of(workload.ops.begin(), workload.ops.end(),
                                            [](const Op& op) { return is_memory_bound(op.kind); });
  notes += runner::sku_note(info, f.sku);
  const auto sku = runner::sku_for(info, f.sku,
                                   memory_bound_ops ? runner::PeaksNeeded::compute_and_memory
                                                    : runner::PeaksNeeded::compute);

  check_site_for(f, info, sku);

  runner::StepRunOptions run;
  run.measure.policy = to_policy(f.timing);
  timing::validate(run.measure.policy);
  run.measure.prepare.gemm_candidates = f.candidates;
  run.measure.prepare.attention_impl = f.impl;
  results::MachineInfo machine = runner::collect_machine_info(*backend, saved_argc(), saved_argv());
  runner::record_sku(machine, sku, mfu_peak_dtype(options.dtype));
  run.budget_s = f.budget_s;
  settle_run_out_file(out_file, default_out_path(info.name, model.name, machine.utc_time), &notes);
  run.out_path = out_file.out_path;
  run.partial_path = out_file.partial_path;
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  if (!f.quiet) run.on_progress = [tty](const runner::StepProgress& p) { print_progress(p, tty); };

  if (options.seq_len > model.seq_len)
    notes += fmt::format("trainbench: note: --seq {} is beyond {}'s training context ({}); attention grows as its "
                         "square\n",
                         options.seq_len, model.name, model.seq_len);
  fmt::print(stderr, "{}", notes);
  fmt::print(std::cout, "Measuring one training step of {} on {} ({}): tp {}{}{}, micro-batch {}, seq {}, {}, {} kernels\n",
             model.display_name, info.name, info.backend, options.tensor_parallel, tp_why,
             model.moe ? fmt::format(", ep {} ({} of {} experts here, {:g} tokens each)", options.expert_parallel,
                                     model.moe->experts / options.expert_parallel, model.moe->experts,
                                     tokens_per_expert(model, options))
                       : "",
             options.micro_batch,
             options.seq_len, to_string(options.dtype), workload.ops.size());
  fmt::print(std::cout, "{}\n", optimizer_step_line(workload, micro_batches));
  std::cout.flush();  // before the progress lines on stderr
  runner::install_interrupt_handler();
  const results::RunResults r = runner::run_step(*backend, workload, run, machine, sku);

  fmt::print(std::cout, "\n");
  print_run_table(std::cout, r);
  print_step_summary(std::cout, r, sku);
  fmt::print(stderr, "{}",
             unconverged_note(r.kernels, run.measure.policy.target_rel_noise,
                              f.budget_s > 0 ? "--budget 0 (each kernel samples until it converges, up to --max-time)"
                                             : ""));
  fmt::print(stderr, "{}", host_notes(r.machine));
  fmt::print(stderr, "{}", above_bandwidth_note(r.kernels, r.machine.backend));
  const std::string written = runner::final_results_path(run, r);
  fmt::print(std::cout, "\nresults: {} ({})\n", written, r.status);
  fmt::print(stderr, "{}", finish_run_out_file(out_file, r, written));
  if (runner::interrupted()) {
    fmt::print(stderr, "trainbench: interrupted; kept the {} kernels measured before it in {}{}\n",
               std::count_if(r.kernels.begin(), r.kernels.end(), [](const auto& k) { return k.status == "ok"; }),
               written,
               written != run.out_path
                   ? fmt::format(" ({} still holds the earlier complete run: a run replaces it only when it ends)",
                                 run.out_path)
                   : "");
    set_exit_code(runner::interrupted_exit_code());
    return;
  }
  print_memory_note(std::cout, model, options, sku);
  print_article_estimate(std::cout, r, model, sku, options.dtype, f);
  if (r.status != "complete") {
    fmt::print(stderr, "trainbench: {} of {} kernels did not measure cleanly (see the table){}\n",
               std::count_if(r.kernels.begin(), r.kernels.end(), [](const auto& k) { return k.status != "ok"; }),
               workload.ops.size(),
               written != run.out_path
                   ? fmt::format("; {} still holds the earlier complete run, this one is in {}", run.out_path, written)
                   : "");
    set_exit_code(kExitRuntime);
  }
}

void add_run_command(CLI::App& app) {
  auto flags = std::make_shared<RunFlags>();
  auto* cmd = app.add_subcommand("run", "Measure one training step's kernels here; report MFU and extrapolate");
  cmd->add_option("--model", flags->model, "Model name (trainbench models) or a .toml file")->capture_default_str();
  cmd->add_option("--tp", flags->tp,
                  "Tensor-parallel degree (the kernels of one of t GPUs); default: 1 where the model trains on one "
                  "device, else the largest dividing its heads within a server (8)");
  cmd->add_option("--ep", flags->ep,
                  "Expert-parallel degree (mixture-of-experts models): this GPU runs experts/ep experts, each on "
                  "the tokens ep GPUs route to it")
      ->capture_default_str();
  cmd->add_option("--micro-batch", flags->micro_batch, "Sequences per micro-batch (at most 1000000)")
      ->capture_default_str();
  cmd->add_option("--micro-batches", flags->micro_batches,
                  "Micro-batches this GPU runs per optimizer step (gradient accumulation): what runs once per "
                  "optimizer step (Adam, fp8 weight casts) enters the step at 1/M; default: the model's batch "
                  "([training] batch_sequences) / (--micro-batch x --dp), in tokens at another --seq (the batch's "
                  "sequences x the model's context / (--micro-batch x --seq x --dp), rounded down), 1 where its "
                  "config has none; at most 1000000");
  cmd->add_option("--dp", flags->dp,
                  "Data-parallel ranks (a multiple of --ep; default: --ep): the default --micro-batches divides by "
                  "it, and above 1 the optimizer is distributed (Megatron-LM's --use-distributed-optimizer, ZeRO-1): "
                  "Adam updates 1/dp of this GPU's shared parameters and 1/(dp/ep) of its routed experts' (at most "
                  "1000000)");
  cmd->add_option("--seq", flags->seq, "Sequence length (default: the model's context; 128 on the CPU)");
  cmd->add_option("--dtype", flags->dtype,
                  "bf16, fp16, tf32, fp32 (default bf16; fp32 on a CPU without bf16), or fp8 on a GPU of compute "
                  "capability 8.9+: the layers' linear GEMMs in fp8 (e4m3, gradients e5m2), attention, norms, router and logits in "
                  "bf16, MFU against the bf16 peak (Transformer Engine's recipe)");
  add_device_flags(cmd, flags->dev);
  cmd->add_option("--sku", flags->sku, "SKU config (name or .toml file) for peaks (default: matched from the device name)");
  cmd->add_option("--impl", flags->impl, "Attention implementation: fused, unfused or wgmma (sm_90a forward; fused backward). On a "
                  "GPU the fused kernels run head dims up to 128, those other than 64 and 128 zero-padded to the "
                  "next; wider ones need unfused")->capture_default_str();
  cmd->add_option("--candidates", flags->candidates, "Time cuBLASLt's top-k algorithms per GEMM, keep the fastest")
      ->capture_default_str();
  cmd->add_option("--out", flags->out,
                  "Results file (default results/<device>-<model>-<time>.json), rewritten after every kernel; over "
                  "a complete results file, beside it (keep.json: keep.partial.json) until the run ends complete, "
                  "which also removes an earlier run's partial file there. One run per file at a time: a second "
                  "run over it refuses while the first holds keep.json.lock (docs/interruptions.md)")
      ->check(writable_output("--out"));
  cmd->add_option("--tokens", flags->tokens, "Training tokens for the extrapolation (default: the model's)");
  cmd->add_option("--site", flags->site, "Data-center preset (trainbench sites) or a .toml file, for the extrapolation")->capture_default_str();
  cmd->add_flag("--no-estimate", flags->no_estimate, "Skip the extrapolation");
  cmd->add_flag("--quiet", flags->quiet,
                "No progress lines (on stderr: the kernel, the time elapsed and an estimate of the time left, "
                "never more than --budget leaves)");
  add_timing_flags(cmd, flags->timing);
  add_throttle_flags(cmd, flags->timing);
  cmd->footer("On the CPU backend the timing defaults are lighter, so that a step ends within a minute on 2 cores: "
              "--noise 2%, --min-samples 5, --min-time 0.05, --max-time 2 (a flag given wins). The results file "
              "records the rule used (workload.timing).");
  cmd->add_option("--budget", flags->budget_s,
                  "Seconds for all kernels' timing, shared out as the run goes (caps --max-time and --min-time "
                  "per kernel); 0: no budget")
      ->capture_default_str()
      ->group("Timing");
  cmd->callback([flags, cmd] {
    RunFlags f = *flags;
    f.seq_given = cmd->count("--seq") > 0;
    if (f.seq_given && f.seq <= 0)
      throw UsageError(fmt::format("--seq must be a positive number of tokens (got {})", f.seq));
    kernels::check_attention_impl(f.impl);
    if (!(f.budget_s >= 0) || !std::isfinite(f.budget_s))
      throw UsageError(fmt::format("--budget must be a finite number of seconds >= 0 (0: no budget) (got {})",
                                   f.budget_s));
    if (f.candidates < 1) throw UsageError(fmt::format("--candidates must be >= 1 (got {})", f.candidates));
    // Before the memory check of the automatic --tp divides by it, and before it names estimate's
    // --micro-batch-size for run's --micro-batch.
    if (f.micro_batch < 1)
      throw UsageError(fmt::format("--micro-batch must be a positive integer (got {})", f.micro_batch));
    if (f.micro_batch > kMaxMicroBatch)
      throw UsageError(fmt::format("--micro-batch must be at most {} sequences (got {})", kMaxMicroBatch,
                                   f.micro_batch));
    if (f.micro_batches && *f.micro_batches < 1)
      throw UsageError(fmt::format("--micro-batches must be a positive integer (got {})", *f.micro_batches));
    if (f.micro_batches && *f.micro_batches > kMaxMicroBatches)
      throw UsageError(fmt::format("--micro-batches must be at most {} micro-batches per optimizer step (got {})",
                                   kMaxMicroBatches, *f.micro_batches));
    if (f.dp && *f.dp < 1) throw UsageError(fmt::format("--dp must be a positive integer (got {})", *f.dp));
    // Beyond any job, and where micro-batch x seq x dp would overflow the batch arithmetic.
    if (f.dp && *f.dp > kMaxDataParallel)
      throw UsageError(fmt::format("--dp must be at most {} data-parallel ranks (got {})", kMaxDataParallel, *f.dp));
    // Before --dp's default (--ep) feeds the default --micro-batches.
    if (f.ep < 1) throw UsageError(fmt::format("--ep must be a positive integer (got {})", f.ep));
    if (f.dp && *f.dp % f.ep != 0)
      throw UsageError(fmt::format("--dp {} must be a multiple of --ep {}: expert ranks are drawn from the data-parallel "
                                   "ranks",
                                   *f.dp, f.ep));
    // The extrapolation's inputs are checked now, not after minutes of measuring; with
    // --no-estimate too, where giving them is a contradiction.
    if (f.no_estimate && (cmd->count("--tokens") || cmd->count("--site")))
      throw UsageError("--tokens and --site feed the extrapolation that --no-estimate skips: give one or the other");
    if (!f.no_estimate) {
      load_site_flag(f.site);
      if (!f.tokens.empty()) parse_positive_tokens(f.tokens);
    }
    // On the CPU, lighter timing defaults unless the user set them.
    std::string why_no_gpu;
    const bool gpu = kernels::cuda_device_available(&why_no_gpu);
    const bool cpu = f.dev.device == "cpu" || (f.dev.device == "auto" && !gpu);
    if (cpu) {
      if (cmd->count("--min-time") == 0) f.timing.min_time_s = 0.05;
      if (cmd->count("--max-time") == 0) f.timing.max_time_s = 2.0;
      if (cmd->count("--min-samples") == 0) f.timing.min_samples = 5;
      if (cmd->count("--noise") == 0) f.timing.noise = "2%";
    }
    run_run(f, gpu, why_no_gpu);
  });
}

const Registration registration{"run", 10, add_run_command};

}  // namespace
}  // namespace tb::cli
