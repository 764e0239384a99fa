#pragma once
// Extrapolation: model + tokens + throughput → training FLOPs, PF-days, GPU-hours, wall-clock
// days, data centers, cost and energy. Pure arithmetic on plain structs; no device needed.
#include <cstdint>
#include <optional>
#include <string>

#include "harness/comm/comm_model.hpp"
#include "harness/estimate/goodput.hpp"
#include "harness/estimate/memory_footprint.hpp"
#include "harness/hardware/site_config.hpp"
#include "harness/hardware/sku_config.hpp"
#include "harness/model/model_config.hpp"
#include "harness/workload/workload.hpp"

namespace tb {

// Past this a GPU count is a typo (--gpus, a layout's product, a deadline's answer).
inline constexpr int64_t kMaxGpus = 100'000'000;
// The site's figures as every command takes them: --pue in [1, 10], --electricity-price in
// (0, 100] USD per kWh, scaled to `currency` (harness/common/currency.hpp); else a UsageError
// naming the flag.
void check_pue(std::optional<double> pue);
inline constexpr double kMaxElectricityPriceUsd = 100;
void check_electricity_price(std::optional<double> price_per_kwh, const std::string& currency);
// Past this a rental quote is a typo: the dearest GPU rents for tens of dollars an hour.
inline constexpr double kMaxGpuHourPriceUsd = 1e4;

struct EstimateRequest {
  ModelConfig model;
  double tokens = 0;                 // 0 takes the model's published training tokens
  int64_t seq_len = 0;               // 0 takes the model's context
  Recompute recompute = Recompute::None;
  DType dtype = DType::BF16;         // which peak MFU is measured against
  // Training under Transformer Engine's fp8 recipe: its memory (fp8 weight copies, GEMM inputs
  // saved in fp8; memory_footprint.hpp). `estimate` sets it for --dtype fp8 and for a --results
  // file of an fp8 step.
  bool fp8_training = false;
  std::optional<double> sustained_tflops_per_gpu;  // hardware FLOP/s per GPU (TFLOP/s)
  std::optional<std::string> throughput_source;    // provenance of the throughput, for output
  bool throughput_measured = false;                // from a results file, not an assumed --mfu/--tflops
  // What one unit of the counts is, as output names it: "CPU" for a CPU backend's results, whose
  // --gpus and --days counts are CPUs like the one measured, never GPUs.
  std::string device = "GPU";
  // The measured run's own MFU: what the site column uses where no SKU config gives the peak
  // (a CPU's estimated peak, a GPU without a config).
  std::optional<double> measured_mfu;
  std::optional<SkuConfig> sku;
  // Where the SKU came from when not --gpu ("site h100-1024"): the throughput's source says so.
  std::optional<std::string> sku_from;
  std::optional<double> mfu;         // with sku: sustained model FLOP/s ÷ peak
  std::optional<int64_t> gpus;
  std::optional<SiteConfig> site;
  std::optional<double> days;        // deadline: sites or GPUs needed to finish in this time
  // The layout's GPU count was chosen to meet `days` (--layout auto --days), not given: the sites
  // then hold those GPUs, as they hold a count --days derives.
  bool gpus_meet_days = false;
  std::optional<double> pue;         // overrides the site's
  std::optional<double> measured_power_w;  // per GPU over the measured step (NVML); energy uses it over TDP
  std::optional<double> gpu_hour_price;  // rental price per GPU-hour; overrides the SKU's [price]
  std::optional<std::string> currency;   // of gpu_hour_price; default the SKU's, else USD
  // Per kWh, in electricity_currency; overrides the site's electricity_price_per_kwh (then in the
  // site's currency).
  std::optional<double> electricity_price_per_kwh;
  // Of electricity_price_per_kwh: --currency, else the configs' where they agree (the SKU's and the
  // site's: the CLI refuses a price where they differ), set by the caller; default quote_currency().
  std::optional<std::string> electricity_currency;
  // Parallel layout → communication model (harness/comm/comm_model.hpp, docs/comm.md). With none
  // of tp, pp, dp given, scaling is ideal: FLOPs ÷ (GPUs × throughput), exactly as before.
  std::optional<int64_t> tp;
  std::optional<int64_t> cp;             // context parallelism: ranks sharing each sequence
  std::optional<int64_t> pp;
  std::optional<int64_t> dp;             // default: --gpus / (tp·cp·pp), else 1
  std::optional<int64_t> ep;             // expert parallelism (MoE), out of the cp·dp ranks
  // Per pipeline per step; default the model's batch / (b·dp) where it divides (a fixed dp), else
  // 1, or 4·pp with pp > 1 (comm::default_micro_batches).
  std::optional<int64_t> micro_batches;
  int64_t virtual_stages = 1;            // interleaved pipeline chunks per GPU (Megatron-LM)
  int64_t micro_batch_size = 1;          // sequences per micro-batch
  std::optional<double> overlap;         // DP gradient all-reduce hidden behind backward, [0, 1]; default 0
  std::optional<double> ep_overlap;      // expert all-to-alls hidden behind compute, [0, 1]; default 0
  std::optional<comm::LinkBandwidths> interconnect;  // resolved by the caller; default: the SKU's
  // Memory per GPU (harness/estimate/memory_footprint.hpp): with a layout.
  int zero_stage = 0;
  bool zero3_keep_gathered = false;      // ZeRO 3: FSDP's reshard_after_forward=False (docs/comm.md)
  int grad_bytes = 2;                    // per parameter: bf16 (ZeRO's 16 B convention) or fp32 (Megatron-LM)
  bool sequence_parallel = true;
  AttentionStorage attention = AttentionStorage::Fused;
  // Interruptions, checkpoints and restarts (harness/estimate/goodput.hpp): with a GPU count.
  std::optional<InterruptionModel> interruptions;

  // Any layout flag: the communication and memory models then run.
  bool layout_given() const { return tp || cp || pp || dp || ep; }
};

// Memory one GPU of the layout needs, and whether the SKU's memory holds it.
struct MemoryEstimate {
  MemoryFootprint footprint;
  std::optional<double> capacity_gib;       // the SKU's, usable where its config gives it (capacity_gib())
  std::optional<double> nominal_gib;        // its [memory] gb, where capacity_gib is the usable figure
  std::optional<MemoryFit> fit;             // of the fuller stage
  std::optional<std::string> suggestion;    // flags that would fit, when it does not
  std::vector<std::string> other_ways;      // without a suggestion: other_ways_to_fit
};

struct SiteEstimate {
  double efficiency = 1.0;      // fraction of the site's peak that does useful (model) work
  double sites_needed = 0;      // fractional, as the article computes it
  int64_t sites_whole = 0;      // rounded up: what one actually builds
  // Where the job's GPU count (the deadline's, rounded up to whole layouts by the search, or a hand
  // layout's tp x cp x pp x dp; not a --gpus fleet) needs more whole sites than the work: that
  // count, which sites_whole then holds.
  std::optional<int64_t> sites_whole_hold_gpus;
  double total_cost = 0;        // sites_needed × cost per site (the article's arithmetic)
  double cost_whole_sites = 0;
};

struct EstimateResult {
  std::string model;
  double params = 0;
  // Mixture of experts: the parameters one token passes through; == params for dense models.
  double active_params = 0;
  double tokens = 0;
  std::string tokens_estimated;  // the model config's reason where `tokens` is its estimate, else ""
  int64_t seq_len = 0;
  // The article's and GPT-3 Table D.1's convention: 6·N·D, with N the active parameters for
  // mixture-of-experts models (a token's FLOPs see only its k experts).
  double training_flops = 0;
  double pf_days = 0;
  // PaLM appendix B's: 6·N_matmul + attention unmasked per token (MFU's numerator); hardware adds
  // recomputation.
  double model_flops_per_token = 0;
  double hardware_flops_per_token = 0;
  double training_model_flops = 0;
  double training_hardware_flops = 0;
  Recompute recompute = Recompute::None;

  std::optional<double> sustained_tflops_per_gpu;  // PaLM's model-FLOP count, recomputation added
  // The article's method on the SKU: 6·N·D at its --dtype peak, every GPU busy (no scaling loss, no
  // interruptions); days on `gpus`. With a SKU peak; days with a GPU count too.
  std::optional<double> peak_gpu_hours;
  std::optional<double> peak_wall_days;
  std::optional<double> peak_tflops;      // the peak they are at
  std::optional<double> mfu;
  // With a layout: mfu × the scaling efficiency, the model FLOP/s over peak across the whole
  // step (bubble and communication in it; interruptions not), the figure papers publish as MFU.
  std::optional<double> mfu_end_to_end;
  std::optional<std::string> throughput_source;
  std::optional<double> gpu_hours;
  std::optional<int64_t> gpus;
  std::optional<bool> gpus_derived;   // true when computed from --days
  std::optional<double> gpus_needed_for_deadline;  // --days's count before the 1e8 bound on gpus
  bool gpus_raised_to_hold = false;   // the deadline needed fewer than hold the model: these finish sooner
  // What one buys: whole servers of the SKU's size (HGX/DGX: 8), and their price where the SKU
  // config has one ([price] server).
  std::optional<int64_t> servers;
  int gpus_per_server = 0;
  std::optional<double> server_cost;
  std::string server_currency;        // of server_cost
  std::optional<double> wall_days;
  std::optional<double> energy_mwh;
  std::optional<double> power_w;      // per GPU behind energy_mwh: measured, else the SKU's TDP
  // Upper bound with the rest of the server at its rating (SKU [server] power_w): per GPU, the
  // server's power less its GPUs' TDP, added to power_w. Absent without a server power.
  std::optional<double> server_other_w;
  std::optional<double> energy_with_server_mwh;
  bool power_measured = false;
  std::optional<double> pue;
  std::optional<double> rental_cost;
  std::optional<std::string> rental_currency;
  // A typed quote (--gpu-hour-price, --server-price) read in USD only because neither --currency
  // nor the SKU config's [price] table states a currency: the output says so.
  bool rental_currency_assumed = false;
  bool server_currency_assumed = false;

  std::optional<std::string> site;
  std::optional<double> site_days;
  std::optional<SiteEstimate> at_peak;
  std::optional<SiteEstimate> at_measured;
  // With interruptions (--mtbf-gpu-hours) and a SKU: the measured column's sites keep this
  // goodput, for the GPUs those sites hold (site peak / SKU peak each).
  std::optional<Goodput> site_goodput;
  std::optional<int64_t> gpus_per_site;
  // The site's GPUs at the run's dtype over their bf16 rating (fp8 2, tf32 0.5 on an H100): MFU is a
  // fraction of the --dtype peak, the site's rating one of bf16. 1 without the site's SKU.
  double site_dtype_per_rating = 1.0;
  std::optional<std::string> site_interruptions_unreachable;  // why no site count meets the deadline
  std::optional<double> electricity_cost;  // energy_mwh x the price per kWh (--electricity-price, else the site's)
  std::string electricity_currency;
  // Rental plus electricity, where both are known in one currency (electricity_currency).
  std::optional<double> rental_and_electricity() const {
    if (!rental_cost || !electricity_cost || *rental_currency != electricity_currency) return std::nullopt;
    return *rental_cost + *electricity_cost;
  }
  std::string currency;

  // Only with a parallel layout: gpu_hours, wall_days, energy and costs above include the
  // scaling loss (ideal ÷ efficiency); the ideal figures are kept here.
  std::optional<comm::ScalingEstimate> scaling;
  std::optional<double> ideal_gpu_hours;
  std::optional<double> ideal_wall_days;

  // Weights, gradients and Adam state of the whole model (16 B per parameter), and the fewest
  // GPUs of the SKU that could hold it at all (with its memory).
  double model_state_bytes = 0;
  std::optional<int64_t> min_gpus_to_hold;
  std::optional<MemoryEstimate> memory;    // only with a parallel layout

  // Only with an interruption model: gpu_hours, wall_days, energy and rental above are divided by
  // its goodput; the uninterrupted figures are kept here.
  std::optional<Goodput> goodput;
  std::optional<double> uninterrupted_gpu_hours;
  std::optional<double> uninterrupted_wall_days;
};

// The currency a price from the command line is read in: --currency, else the SKU config's, else
// USD.
std::string quote_currency(const EstimateRequest& request);
// Whether quote_currency() is USD by default: no --currency, and no SKU config with a [price] table.
bool quote_currency_assumed(const EstimateRequest& request);
// The currency electricity_price_per_kwh is read in: electricity_currency, else quote_currency().
std::string electricity_quote_currency(const EstimateRequest& request);

// How a throughput's source names the SKU: "--gpu h100-sxm", or "SKU h100-sxm (from site
// h100-1024)" where no --gpu named it.
std::string sku_source(const EstimateRequest& request);

// Validates the request (tokens > 0, mfu in (0,1], gpus > 0, days > 0...) naming the flag.
EstimateResult estimate(const EstimateRequest& request);

// The GPU count --days derives (with or without --site): beyond --gpus's bound it is a typo in
// --days or --tokens, not an answer, and never a capped count said to meet the deadline. A
// UsageError naming --days; `sku` ("rtx4090") says whose GPUs where several are weighed.
void refuse_gpus_beyond_bound(const EstimateResult& result, double days, const std::string& sku);

// Why an answer cannot be bought as it stands: its layout does not fit the SKU's memory, or its
// GPU count cannot hold the model at all. Empty when it can. Comparisons leave such answers out
// of "fewest GPU-hours", "least energy" and "lowest cost".
std::string why_unusable(const EstimateResult& result);

}  // namespace tb
