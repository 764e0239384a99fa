#pragma once
// The procurement view: several results files (one per SKU or machine) side by side — each
// kernel's rate, the step's tokens/s and MFU — and what each would take to train one target
// model: PF-days, GPU-hours, days on N GPUs, and energy and cost where the SKU config knows
// TDP and price.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/compare/compatibility.hpp"
#include "harness/estimate/estimate.hpp"
#include "harness/estimate/goodput.hpp"
#include "harness/hardware/site_config.hpp"

namespace tb::compare {

struct SideBySideOptions {
  std::string target_model;       // --model; "" takes the files' model, else gpt3-175b
  int64_t gpus = 1024;            // --gpus
  double tokens = 0;              // --tokens; 0 takes the model's published count
  std::optional<double> days;     // --days: GPUs needed to finish in this many days instead
  CompatibilityOptions compatibility;  // different devices are the point here; shapes must match
  // --gpu-hour-price KEY=PRICE: rental quotes per GPU-hour, KEY a run's letter (A, B, ...) or the
  // SKU name its file records (a run priced both ways is refused). Overrides a SKU config's [price].
  std::map<std::string, double> gpu_hour_price;
  // --currency (checked): of the quotes and of electricity_price_per_kwh. Without it, estimate's
  // rule (side_by_side_prices.hpp): a quote is in its run's SKU config's currency, else USD; the
  // electricity price in the one currency of the runs' SKU configs and the site's.
  std::optional<std::string> currency;
  std::optional<double> pue;                        // --pue: scales energy (default the site's, else 1)
  std::optional<double> electricity_price_per_kwh;  // --electricity-price: the energy's cost (default the site's)
  // --site: its PUE and electricity price (in its currency) weigh every run's energy and cost as
  // estimate weighs them; a site built of one GPU SKU takes only runs of that SKU.
  std::optional<SiteConfig> site;
  // --layout auto: each run gets the best parallel layout its SKU's memory and links allow
  // (harness/estimate/layout_search.hpp) instead of ideal scaling; global_batch 0 takes the model's.
  bool layout_search = false;
  int64_t global_batch = 0;
  // --recompute: none, selective, full, or auto (the layout search tries all three).
  std::string recompute = "none";
  // --mtbf-gpu-hours: interruptions, checkpoints and restarts in the days and GPU-hours
  // (harness/estimate/goodput.hpp); each run's goodput at its own GPU count.
  std::optional<InterruptionModel> interruptions;
  // `report` only: a partial run (interrupted, or kernels that failed) is drawn from the kernels
  // it measured, without its step or an extrapolation, which would miss the others; compare and
  // the gate refuse it.
  bool accept_partial = false;
};

struct KernelCell {
  bool present = false;
  double median_ms = 0;
  double tflops = 0;
  double gbps = 0;
  double pct_of_peak = 0;         // percent
  double step_share = 0;          // fraction of the step: calls·median / Σ calls·median
  double step_calls = 0;          // calls in the step of one micro-batch (results::step_calls)
  int64_t samples = 0;
  int64_t outliers = 0;           // beyond the outlier fence (SampleStats::outliers)
};

struct KernelRow {
  std::string key, name, kind, shape, dtype;
  double flops = 0, bytes = 0;
  int64_t calls_per_step = 1;
  std::vector<KernelCell> cells;  // one per run, in input order
};

struct Extrapolation {
  bool available = false;
  std::string why_not;            // when not available
  double sustained_tflops = 0;    // per GPU, from the measured step
  double pf_days = 0;             // 6·N·D, the article's convention
  double gpu_hours = 0;
  int64_t gpus = 0;
  std::optional<int64_t> servers;     // whole servers of the SKU's size
  int gpus_per_server = 0;
  double wall_days = 0;
  std::optional<double> energy_mwh;   // power × GPU-hours × PUE
  double pue = 1;
  std::optional<double> electricity_cost;   // energy × --electricity-price, in electricity_currency
  std::string electricity_currency;
  std::optional<double> rental_and_electricity;
  std::optional<double> power_w;      // per GPU: the measured mean over the step, else the TDP
  bool power_measured = false;
  std::optional<double> cost;         // SKU price per GPU-hour × GPU-hours
  std::string currency;
  // A --gpu-hour-price quote read in USD only because neither --currency nor the run's SKU
  // config (a [price] table) states a currency: a note says so.
  bool currency_assumed = false;
  // With --layout auto: the layout chosen ("tp 8 x pp 8 x dp 16, m 96, ZeRO-1"); its scaling and
  // memory per GPU are the answer's.
  std::optional<std::string> layout;
  std::string unusable;               // why_unusable(): not fitting, or too few GPUs to hold the model
  // estimate's answer for this run, the figures above read from it: its `scaling` and `memory`
  // (with --layout auto) and `goodput` (with --mtbf-gpu-hours), which compare --json writes as
  // estimate --json does.
  EstimateResult answer;
};

struct RunColumn {
  std::string origin, label;      // label: "device (file)"
  std::string device_name, sku, model, dtype;
  std::string peak_dtype;  // of peak_tflops: bf16 for an fp8 step
  double peak_tflops_fp8 = 0;  // an fp8 step's other roof, its fp8 GEMMs' (0 otherwise or unknown)
  double peak_tflops = 0, peak_memory_tb_s = 0;
  std::optional<results::StepResult> step;
  results::WorkloadInfo workload;  // the shape its step was measured at (rows where runs differ)
  Extrapolation extrapolation;
  // Provenance as the file records it: when, where, which build and libraries, how busy.
  results::MachineInfo machine;
  std::optional<double> noise_target;  // workload.timing.noise, where recorded
  // Measured kernels that stopped before their noise reached the target (results::stopped_short).
  std::vector<results::KernelResult> unconverged;
  // With accept_partial, a partial file: its kernels not measured (status and error kept); its
  // step and extrapolation are left out. Empty for a complete run.
  bool partial = false;
  size_t kernels_total = 0;
  std::vector<results::KernelResult> not_measured;
  nlohmann::json health;  // a `trainbench health` file's verdict and checks, as written; null otherwise
};

// The procurement answer: which run trains the target model with the fewest GPU-hours, the
// least energy and the lowest cost (indices into runs; empty where fewer than two runs know it,
// or, for cost, where their currencies differ). The rule is estimate's too (harness/estimate/ranking.hpp).
struct Best {
  std::optional<size_t> gpu_hours, energy, cost;
  // What `cost` ranks: "lowest cost" (rental), or "lowest rental + electricity" where every
  // priced run has both in one currency.
  // "lowest rental (electricity in CNY not added)" where a priced run's electricity is in another
  // currency than its quote (harness/estimate/ranking.hpp's rank_costs).
  std::string cost_what = "lowest cost";
  std::string cost_ranked = "rental";  // what was ranked: "rental" or "rental + electricity"
  bool cost_totals = false;            // cost_ranked is "rental + electricity"
  // No cost winner because the priced runs are in different currencies: which ("the quotes are in
  // USD (A) and CNY (B)"); empty otherwise.
  std::string cost_why_none;
  // Where two or more runs share the smallest value there is no winner, only a tie among them.
  struct Tie {
    std::string what;          // "fewest GPU-hours", "least energy", "lowest cost"
    std::string figure;        // the Best member it stands in for: "gpu_hours", "energy", "cost"
    std::vector<size_t> runs;  // indices into runs
  };
  std::vector<Tie> ties;
};

struct SideBySide {
  std::string target_model;       // resolved
  double tokens = 0;              // the extrapolation's: --tokens, else the model's (0: none known)
  std::optional<double> deadline_days;  // --days: each run's GPUs are what finishes by then
  std::vector<RunColumn> runs;
  std::vector<KernelRow> kernels; // union, in first-seen order
  Best best;
  std::vector<std::string> notes;  // e.g. a file measured for another model than the one extrapolated
  double pue = 1;                  // --pue, else the site's, for every run's energy
  std::optional<SiteConfig> site;   // --site
  // Where the electricity price comes from: "--electricity-price", or "site 500p"; empty for none.
  std::string electricity_source;
};

// Refuses failed/partial runs and files of different models or shapes (unless allowed).
SideBySide build_side_by_side(const std::vector<LabeledResults>& runs, const SideBySideOptions& options);

// "device (file.json)", unique among the runs.
std::vector<std::string> run_labels(const std::vector<LabeledResults>& runs);

}  // namespace tb::compare
