// `trainbench estimate`: PF-days, GPU-hours, wall-clock days, data centers, cost and energy.
#include <fmt/format.h>
#include <fmt/ranges.h>


#include <algorithm>
#include <iostream>
#include <iterator>

#include "cli/assumed_rate_notes.hpp"
#include "cli/model_flag.hpp"
#include "cli/command_registry.hpp"
#include "cli/estimate_printer.hpp"
#include "cli/estimate_skus.hpp"
#include "cli/interruption_flags.hpp"
#include "cli/layout_flags.hpp"
#include "cli/price_flags.hpp"
#include "cli/site_flags.hpp"
#include "cli/sku_quotes.hpp"
#include "cli/quantity_parse.hpp"
#include "harness/comm/estimate_scaling.hpp"
#include "harness/comm/interconnect.hpp"
#include "harness/common/currency.hpp"
#include "harness/common/errors.hpp"
#include "harness/estimate/estimate.hpp"
#include "harness/estimate/estimate_json.hpp"
#include "harness/estimate/layout_search.hpp"
#include "harness/estimate/measured_throughput.hpp"
#include "harness/estimate/memory_footprint.hpp"
#include "harness/model/parameter_count.hpp"
#include "harness/results/results_io.hpp"

namespace tb::cli {
namespace {



struct EstimateFlags {
  std::string model;  // empty: the results file's model, else gpt3-175b
  std::string tokens;
  std::optional<double> tflops;
  std::string gpu;
  std::optional<double> mfu;
  std::optional<int64_t> gpus;
  std::string recompute = "none";
  std::string site;
  std::optional<double> days;
  std::optional<double> pue;
  std::vector<std::string> gpu_hour_price;  // PRICE, or KEY=PRICE per SKU with several --gpu
  std::vector<std::string> server_price;    // the same, per server bought
  std::optional<double> electricity_price;  // per kWh, in --currency
  std::string currency;
  int64_t seq = 0;
  bool seq_given = false;
  std::string dtype = "bf16";
  bool dtype_given = false;
  std::string results;
  bool json = false;
  // Communication model (docs/comm.md): only with --tp, --pp or --dp.
  std::optional<int64_t> tp, cp, pp, dp, ep, micro_batches, virtual_stages;
  int64_t micro_batch_size = 1;
  std::optional<double> overlap;
  std::optional<double> ep_overlap;
  std::string interconnect;
  std::string comm_results;
  // Memory per GPU (harness/estimate/memory_footprint.hpp): with the layout.
  std::optional<int> zero;
  bool zero3_keep_gathered = false;  // FSDP's reshard_after_forward=False; only with --zero 3
  std::string grad_dtype;
  std::string sequence_parallel;
  std::string attention;
  // Layout search (harness/estimate/layout_search.hpp).
  std::string layout;
  std::optional<int64_t> global_batch;
  InterruptionFlags interruptions;  // harness/estimate/goodput.hpp
};

// "h100-sxm,h200" → {"h100-sxm", "h200"}; empty names are refused.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (out.back().empty()) throw UsageError(fmt::format("--gpu '{}': an empty SKU name in the list", text));
    if (std::count(out.begin(), out.end(), out.back()) > 1)
      throw UsageError(fmt::format("--gpu '{}': {} is listed twice", text, out.back()));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

// Link bandwidths for the communication model: the SKU's and the site's (what estimate takes
// without these flags), then --interconnect, then a measured `trainbench comm` file, each
// overriding what it measures. Needs req.sku and req.site set first.
void apply_links(const EstimateFlags& f, EstimateRequest& req) {
  if (f.interconnect.empty() && f.comm_results.empty()) return;
  comm::LinkBandwidths links = comm::default_links(req);
  if (!f.interconnect.empty()) comm::apply_interconnect_flag(links, f.interconnect);
  if (!f.comm_results.empty())
    comm::apply_measured(links, comm::measured_link(results::read_results_file(f.comm_results), f.comm_results));
  req.interconnect = links;
}

// A GPU's estimate (--gpu, a site's SKU, or results measured on a GPU) takes --comm-results only
// from NCCL: an MPI host-memory file is no GPU link's bandwidth (comm::require_gpu_link). Without
// a GPU (a CPU's results, --tflops alone) the file stands, its source saying what it measured.
void refuse_host_comm_results(const EstimateFlags& f, const EstimateRequest& req, const std::vector<std::string>& skus,
                              const std::optional<MeasuredThroughput>& measured, bool search) {
  // Without a layout add_comm_model refuses --comm-results itself, saying what it feeds.
  if (f.comm_results.empty() || !(f.tp || f.cp || f.pp || f.dp || f.ep || search)) return;
  const std::string gpu = skus.size() > 1 ? "GPU SKUs " + f.gpu
                          : req.sku       ? "GPU SKU " + req.sku->name
                          : measured && measured->backend == "cuda"
                              ? fmt::format("the GPU {} measured in {}", measured->device_name, f.results)
                              : "";
  if (gpu.empty()) return;
  comm::require_gpu_link(comm::measured_link(results::read_results_file(f.comm_results), f.comm_results), gpu,
                         f.comm_results);
}

// The layout flags (communication and memory models) onto the request; links when `links_now`
// (with several SKUs they are each SKU's: apply_links per SKU).
void add_comm_model(const EstimateFlags& f, EstimateRequest& req, bool search, bool links_now = true) {
  if (search && (f.tp || f.pp || f.dp || f.micro_batches))
    throw UsageError("--layout auto chooses --tp, --pp, --dp and --micro-batches: give none of them");
  if (f.virtual_stages && !f.pp && !search)
    throw UsageError("--virtual-stages interleaves pipeline stages: give --pp too (or --layout auto)");
  const bool layout = f.tp || f.cp || f.pp || f.dp || f.ep || search;
  if (!layout) {
    if (!f.interconnect.empty() || !f.comm_results.empty() || f.micro_batches || f.overlap || f.ep_overlap ||
        f.micro_batch_size != 1)
      throw UsageError("--interconnect, --comm-results, --micro-batches, --micro-batch-size, --overlap and --ep-overlap feed the "
                       "communication model: give the layout too (--tp, --cp, --pp, --dp, --ep)");
    if (f.zero || f.zero3_keep_gathered || !f.sequence_parallel.empty() || !f.attention.empty() ||
        !f.grad_dtype.empty())
      throw UsageError("--zero, --zero3-keep-gathered, --grad-dtype, --sequence-parallel and --attention feed the "
                       "memory per GPU of a layout: give the layout too (--tp, --cp, --pp, --dp, --ep)");
    return;
  }
  if (f.zero3_keep_gathered && f.zero.value_or(-1) != 3)
    throw UsageError(fmt::format("--zero3-keep-gathered keeps ZeRO-3's gathered weights from the forward to the "
                                 "backward: give it with --zero 3 (got {})",
                                 f.zero ? fmt::format("--zero {}", *f.zero) : std::string("no --zero")));
  if (f.zero) req.zero_stage = *f.zero;
  req.zero3_keep_gathered = f.zero3_keep_gathered;
  if (!f.grad_dtype.empty()) req.grad_bytes = parse_grad_bytes(f.grad_dtype, "--grad-dtype");
  if (!f.sequence_parallel.empty()) {
    if (f.sequence_parallel != "on" && f.sequence_parallel != "off")
      throw UsageError(fmt::format("--sequence-parallel must be on or off (got '{}')", f.sequence_parallel));
    req.sequence_parallel = f.sequence_parallel == "on";
  }
  if (!f.attention.empty()) req.attention = parse_attention_storage(f.attention, "--attention");
  req.tp = f.tp;
  req.cp = f.cp;
  req.ep = f.ep;
  req.pp = f.pp;
  req.dp = f.dp;
  req.micro_batches = f.micro_batches;
  if (f.virtual_stages) req.virtual_stages = *f.virtual_stages;
  req.micro_batch_size = f.micro_batch_size;
  req.overlap = f.overlap;
  req.ep_overlap = f.ep_overlap;
  if (links_now) apply_links(f, req);
}

// What the flags ask the layout search for; its base request is set by the caller.
LayoutSearchRequest search_request(const EstimateFlags& f) {
  LayoutSearchRequest s;
  s.global_batch = f.global_batch.value_or(0);
  s.micro_batch_sizes = {f.micro_batch_size};
  s.zero_stage = f.zero;
  // Selective recomputation saves the s x s scores; fused attention keeps none, so there it would
  // only add compute (the default --attention fused): tried only with materialised attention.
  if (f.recompute == "auto")
    s.recompute_modes = f.attention == "unfused"
                            ? std::vector<Recompute>{Recompute::None, Recompute::Selective, Recompute::Full}
                            : std::vector<Recompute>{Recompute::None, Recompute::Full};
  if (f.virtual_stages) s.virtual_stages = {*f.virtual_stages};
  if (f.cp) s.context_sizes = {*f.cp};
  if (f.ep) s.expert_sizes = {*f.ep};
  return s;
}

// The search, then the full estimate of its best layout (with the site and deadline asked for).
void run_layout_search(const EstimateFlags& f, const EstimateRequest& req, std::optional<int64_t> measured_tp,
                       std::optional<int64_t> measured_ep) {
  LayoutSearchRequest s = search_request(f);
  s.base = req;
  s.measured_tp = measured_tp;
  s.measured_ep = measured_ep;
  const LayoutSearchResult found = search_layouts(s);
  std::optional<EstimateRequest> best_request;
  std::optional<EstimateResult> best;
  if (!found.ranked.empty()) {
    best_request = found.ranked.front().request;
    best_request->site = req.site;
    best_request->days = req.site ? req.days : std::nullopt;
    best_request->gpus_meet_days = req.site && req.days && !req.gpus;
    best = estimate(*best_request);
  }
  if (f.json) {
    nlohmann::json j = best ? to_json(*best) : nlohmann::json::object();
    j["layout_search"] = to_json(found);
    std::cout << j.dump(2) << "\n";
  } else {
    print_layout_search(std::cout, found, req.sku->capacity_text());
    if (best) print_estimate(std::cout, *best_request, *best);
  }
  if (!best) {
    // The ways out that are still open: not those the flags already took.
    std::vector<std::string> ways;
    if (req.days) {
      // A later deadline helps only where some layout fits at all.
      if (found.soonest_days)
        ways.push_back(fmt::format("a later --days (the soonest any layout that fits finishes: {:.1f} days)",
                                   *found.soonest_days));
      ways.push_back("a larger --global-batch (more data-parallel ranks)");
      ways.push_back("a faster SKU or throughput");
    } else {
      // The floor no layout goes below: the training state sharded over every GPU (ZeRO-3).
      const int64_t floor = min_gpus_to_hold(count_parameters(req.model).total * state_bytes_per_param(req.grad_bytes),
                                             req.sku->capacity_gib());
      ways.push_back(req.gpus && *req.gpus < floor
                         ? fmt::format("more --gpus (at least {} just to hold the training state)", floor)
                         : "more --gpus");
    }
    ways.push_back("a larger-memory SKU");
    if (f.recompute != "full" && f.recompute != "auto") ways.push_back("--recompute full (or auto)");
    // Unpinned, the search has tried ZeRO-1 to 3 already; pinned, leaving it out tries them all.
    if (f.zero3_keep_gathered) ways.push_back("plain --zero 3 (without --zero3-keep-gathered)");
    else if (f.zero && *f.zero != 3) ways.push_back("no --zero (the search then tries ZeRO-1, 2 and 3)");
    fmt::print(stderr, "trainbench: no layout of {} fits {}{}{}: try {}\n", req.model.name, req.sku->capacity_text(),
               f.zero ? "" : " at ZeRO-1, 2 or 3", req.days ? " and finishes in time" : "", fmt::join(ways, ", "));
    set_exit_code(kExitRuntime);
  }
}

void run_estimate(const EstimateFlags& f) {
  std::string notes;  // printed once every flag has been checked
  EstimateRequest req;
  std::optional<int64_t> measured_tp;  // with --results: the t its throughput holds for
  std::optional<int64_t> measured_ep;  // and the e (MoE)
  std::optional<MeasuredThroughput> measured;
  if (!f.results.empty()) {
    if (f.tflops || f.mfu) throw UsageError("give one throughput: --results, --tflops, or --gpu with --mfu");
    measured = throughput_from_results(results::read_results_file(f.results), f.results);
  }
  // Without --model, a results file extrapolates the model it measured.
  const std::string model_name = !f.model.empty()                       ? f.model
                                 : measured && !measured->model.empty() ? measured_model_ref(measured->workload, f.results)
                                                                        : "gpt3-175b";
  req.model = f.model.empty() ? load_model(model_name) : load_model_flag(f.model);
  if (measured && !measured->model.empty() && measured->model != req.model.name)
    notes += fmt::format("trainbench: note: {} measured {}'s kernels; extrapolating {} assumes its kernels run as "
                         "fast (measure `trainbench run --model {}` for its own)\n",
                         f.results, measured->model, req.model.name, req.model.name);
  if (!f.tokens.empty()) req.tokens = parse_positive_tokens(f.tokens);
  if (f.seq_given && f.seq <= 0) throw UsageError(fmt::format("--seq must be between 1 and 4194304 tokens (got {})", f.seq));
  req.seq_len = f.seq;
  if (measured) {
    const std::string seq_note =
        sequence_mismatch_note(measured->seq_len, req.seq_len > 0 ? req.seq_len : req.model.seq_len, req.model.name);
    if (!seq_note.empty()) notes += fmt::format("trainbench: note: {}: {}\n", f.results, seq_note);
    if (!measured->optimizer_note.empty())
      notes += fmt::format("trainbench: note: {}: {}\n", f.results, measured->optimizer_note);
  }
  // `auto` lets the layout search choose (it is checked against --layout below).
  if (f.recompute != "auto") req.recompute = parse_recompute(f.recompute, "--recompute");
  req.dtype = parse_dtype(f.dtype, "--dtype");
  req.fp8_training = req.dtype == DType::FP8;
  req.sustained_tflops_per_gpu = f.tflops;
  req.mfu = f.mfu;
  // Several SKUs (A,B,C) are estimated side by side from their datasheets at one assumed MFU.
  const std::vector<std::string> skus = split_list(f.gpu);
  if (skus.size() > 1) {
    if (!f.mfu || f.tflops || !f.results.empty())
      throw UsageError("--gpu with several SKUs compares them at one assumed --mfu (one TFLOP/s figure or one "
                       "results file cannot hold for different GPUs; `compare` takes one results file per SKU)");
  } else if (!f.gpu.empty()) {
    req.sku = load_sku(f.gpu);
  }
  if (measured) {
    measured_tp = measured->tensor_parallel;
    measured_ep = measured->expert_parallel;
    req.sustained_tflops_per_gpu = measured->sustained_tflops_per_gpu;
    req.throughput_source = measured->source;
    req.throughput_measured = true;
    req.measured_power_w = measured->mean_power_w;
    req.measured_mfu = measured->mfu;
    if (!measured->sku && measured->backend == "cpu") req.device = "CPU";
    // MFU against the peak the run judged itself by (bf16 for an fp8 step), unless --dtype says otherwise.
    if (!f.dtype_given) req.dtype = measured->peak_dtype;
    // An fp8 step trains with Transformer Engine's fp8 memory (docs/memory.md).
    if (measured->workload.dtype == "fp8") req.fp8_training = true;
    // The throughput is that GPU's: another SKU's memory, links and power beside it would mix two machines.
    if (req.sku && measured->sku && req.sku->name != measured->sku->name)
      throw UsageError(fmt::format("--gpu {}: {} was measured on {} ({}); its throughput with {}'s memory, links and "
                                   "power would describe neither: drop --gpu, or measure a {} and pass its results",
                                   req.sku->name, f.results, measured->sku->name, measured->sku->display_name,
                                   req.sku->name, req.sku->name));
    // A CPU's step carries no GPU SKU to check against: any GPU's datasheet beside it mixes the two.
    if (req.sku && !measured->sku && measured->backend == "cpu")
      throw UsageError(fmt::format("--gpu {}: {} was measured on the CPU backend ({}); its throughput with {}'s "
                                   "memory, links and power would describe neither: drop --gpu, or measure a {} and "
                                   "pass its results",
                                   req.sku->name, f.results, measured->device_name, req.sku->name, req.sku->name));
    if (!req.sku && measured->sku) req.sku = measured->sku;
  }
  req.gpus = f.gpus;
  if (!f.site.empty()) {
    req.site = load_site_flag(f.site);
    if (skus.size() > 1) refuse_site_of_one_sku(*req.site, skus);
    if (req.sku && req.site->sku && req.sku->name != *req.site->sku)
      throw UsageError(fmt::format("--site {} is built of {} GPUs; --gpu (or the results file) says {}: give the site's "
                                   "SKU, or a site config of {}",
                                   f.site, *req.site->sku, req.sku->name, req.sku->name));
    // A data center is built of GPUs: a CPU's rate (its MFU of its own estimated peak) sizes none of
    // them, and its count of "GPUs" would be CPUs. Refused for every site, GPU SKU or none.
    if (measured && !measured->sku && measured->backend == "cpu")
      throw UsageError(fmt::format("--site {} is a data center of {}; --results {} was measured on the CPU backend "
                                   "({}): a CPU's rate sizes no GPU site. Drop --site (--gpus or --days answer in "
                                   "CPUs like this one), or pass results measured on a GPU",
                                   f.site, req.site->sku ? *req.site->sku + " GPUs" : std::string("GPUs"), f.results,
                                   measured->device_name));
    if (!req.sku && req.site->sku) {
      req.sku = load_sku(*req.site->sku);
      req.sku_from = "site " + req.site->name;
    }
  }
  // A sustained rate above the GPU's fastest datasheet peak is a typo (or a sparse figure); above
  // the peak of the dtype the MFU is judged against, a note: it reads as an MFU over 100%.
  if (f.tflops && req.sku) {
    double fastest = 0;
    for (const auto& [dtype, peak] : req.sku->peak_tflops) fastest = std::max(fastest, peak);
    if (fastest > 0 && *f.tflops > fastest)
      throw UsageError(fmt::format("--tflops {:g}: above {}'s fastest dense peak ({:g} TFLOP/s): a sustained rate "
                                   "cannot exceed it (sparse datasheet figures are 2x the dense ones)",
                                   *f.tflops, req.sku->name, fastest));
    const double dtype_peak = req.sku->peak_tflops_or_zero(req.dtype);
    if (dtype_peak > 0 && *f.tflops > dtype_peak)
      notes += fmt::format("trainbench: note: --tflops {:g} is above {}'s {} peak ({:g}): the MFU reads over 100%; "
                           "give --dtype fp8 if the rate is fp8 GEMMs'\n",
                           *f.tflops, req.sku->name, to_string(req.dtype), dtype_peak);
  }
  // An assumed rate's peak under fp8, and a rate past the SKU's measured best GEMMs.
  if (f.mfu || f.tflops) {
    if (skus.size() > 1)
      for (const auto& name : skus) notes += assumed_rate_notes(load_sku(name), req.dtype, f.mfu, f.tflops);
    else if (req.sku)
      notes += assumed_rate_notes(*req.sku, req.dtype, f.mfu, f.tflops);
  }
  if (f.days && f.site.empty() && !f.tflops && !f.mfu && !measured)
    throw UsageError("--days needs --site (data centers to finish in time) or a throughput (--tflops, --gpu with "
                     "--mfu, or --results)");
  // With --site, --days is the sites' deadline and --gpus the GPUs' count: two questions, both fine.
  if (f.site.empty()) refuse_days_with_gpus(f.days.has_value(), f.gpus.has_value());
  if (f.days && f.dp && f.site.empty())
    throw UsageError("--days asks how many GPUs finish in time; --dp fixes the count (tp x cp x pp x dp): drop --dp "
                     "to let the deadline size it");
  // Flags that only weigh a timed answer would be silently ignored without a throughput.
  const bool throughput = f.tflops || f.mfu || measured;
  if (!throughput && f.pue)
    throw UsageError("--pue scales the energy, which needs a throughput (--tflops, --gpu with --mfu, or --results)");
  if (!throughput && !f.server_price.empty())
    throw UsageError("--server-price prices the servers to buy, which a throughput sizes (--tflops, --gpu with --mfu, "
                     "or --results)");
  if (!throughput && !f.gpu_hour_price.empty())
    throw UsageError("--gpu-hour-price prices the GPU-hours, which need a throughput (--tflops, --gpu with --mfu, or "
                     "--results)");
  // Energy is power x time: without a GPU's TDP (--gpu, a site's SKU) or power measured in the
  // results, --pue would scale nothing.
  // Several SKUs each bring their TDP.
  const bool power = req.sku || skus.size() > 1 || (measured && measured->mean_power_w);
  if (throughput && f.pue && !power)
    throw UsageError("--pue scales the energy, which needs a power figure: give --gpu (its TDP), or results with "
                     "power measured on a GPU");
  // Prices are read in --currency, else the SKU config's: their typo guards scale with it.
  if (!f.currency.empty()) req.currency = checked_currency(f.currency, "--currency");
  const std::vector<QuoteKey> keys =
      skus.size() > 1 ? sku_quote_keys(skus, req.currency) : std::vector<QuoteKey>{quote_key(f.gpu, req.sku, req.currency)};
  // A quote for a SKU whose config states no currency is read in USD; beside a site that prices in
  // another currency it could be in either, and is refused until --currency says which.
  if (req.site)
    for (const auto& [quotes, flag] : {std::pair{&f.gpu_hour_price, "--gpu-hour-price"}, {&f.server_price, "--server-price"}})
      if (!quotes->empty())
        refuse_unstated_beside_site(fmt::format("{} {}", flag, fmt::join(*quotes, ", ")),
                                    unstated_quote_labels(*quotes, keys), req.site->name, req.site->currency);
  if (f.electricity_price) {
    // --currency, else the one currency of the configs the price stands for: the SKUs' and the
    // site's (whose own tariff it replaces); where they differ it could be either, and is refused.
    // A SKU config without a [price] table states no currency (its USD is a default): it is not
    // counted, as compare and report do not count such a run's (harness/compare/side_by_side_prices).
    const std::string flag = fmt::format("--electricity-price {:g}", *f.electricity_price);
    std::string currency;
    if (req.currency) {
      currency = *req.currency;
    } else {
      std::vector<std::pair<std::string, std::string>> configs;
      for (const auto& k : keys)
        if (!k.name.empty() && k.currency_stated) configs.emplace_back(k.label(), k.currency);
      if (req.site) configs.emplace_back("site " + req.site->name, req.site->currency);
      const std::string what = skus.size() > 1 ? (req.site ? "every SKU and the site" : "every SKU") : "the SKU and the site";
      currency = agreed_currency(flag, configs, what);
    }
    check_electricity_price(f.electricity_price, currency);
    req.electricity_currency = currency;
    if (!throughput || !power)
      throw UsageError("--electricity-price prices the energy, which needs a throughput and a power figure "
                       "(--gpu with --mfu, or --results measured on a GPU)");
    req.electricity_price_per_kwh = f.electricity_price;
  }
  // --dtype picks the peak MFU is judged against; a results file without a SKU config (the CPU's
  // estimated peak) has no other.
  if (measured && f.dtype_given && !measured->sku && !req.sku)
    throw UsageError(fmt::format("--dtype {}: {} has no SKU config (machine.sku '{}'), only the peak it was judged "
                                 "against ({}); leave --dtype out",
                                 f.dtype, f.results, measured->sku_name, to_string(measured->peak_dtype)));
  if (f.ep_overlap && !req.model.moe)
    throw UsageError(fmt::format("--ep-overlap hides expert all-to-alls; {} has no experts (no [moe] table)",
                                 req.model.name));
  req.days = f.days;
  req.pue = f.pue;
  req.interruptions = parse_interruption_flags(f.interruptions);
  // Servers are bought for a GPU count: a SKU to count them by, and --gpus, --days or a layout.
  if (!f.server_price.empty() && !req.sku && skus.size() <= 1)
    throw UsageError("--server-price prices the servers to buy, which need a SKU: give --gpu (or a site of one, or "
                     "results measured on one)");
  if (!f.server_price.empty() && !f.gpus && !f.days && !f.tp && !f.pp && !f.dp && !f.cp && f.layout.empty())
    throw UsageError("--server-price prices the servers to buy, which need a GPU count: give --gpus, --days or a "
                     "layout");
  if (!f.currency.empty() && f.gpu_hour_price.empty() && !f.electricity_price && f.server_price.empty())
    throw UsageError("--currency names the currency of --gpu-hour-price, --server-price and --electricity-price: "
                     "give one of them");
  // A hand-given layout takes the global batch too: its pipelines' micro-batches follow from it.
  const bool hand_layout = f.layout.empty() && (f.tp || f.pp || f.dp || f.cp);
  const bool search = parse_layout_flag(f.layout, hand_layout ? std::nullopt : f.global_batch);
  if (hand_layout && f.global_batch) {
    if (*f.global_batch <= 0)
      throw UsageError(fmt::format("--global-batch must be a positive number of sequences (got {})", *f.global_batch));
    req.model.batch_sequences = *f.global_batch;
    req.model.batch_assumed.clear();  // the user's batch, not the config's assumption
  }
  checked_recompute_flag(f.recompute, search);
  refuse_host_comm_results(f, req, skus, measured, search);
  // Notes wait until the flags have all passed: a refusal is then the one message.
  if (skus.size() > 1) {
    add_comm_model(f, req, search, /*links_now=*/false);
    std::optional<LayoutSearchRequest> s;
    if (search) s = search_request(f);
    // Checked before the notes: a refusal is then the one message.
    quoted_price(f.gpu_hour_price, keys.front(), keys, kEstimateGpuHourPriceKind);
    quoted_price(f.server_price, keys.front(), keys, kServerPriceKind);
    fmt::print(stderr, "{}", notes);
    estimate_skus(req, skus, f.gpu_hour_price, f.server_price, s, f.json,
                  [&f](EstimateRequest& r) { apply_links(f, r); });
    return;
  }
  // A quote's key may be the SKU's config name or the --gpu argument (a path) it came from.
  req.gpu_hour_price = quoted_price(f.gpu_hour_price, keys.front(), keys, kEstimateGpuHourPriceKind);
  if (req.sku) apply_server_price(*req.sku, keys.front(), f.server_price, keys, req.currency);
  add_comm_model(f, req, search);
  if (search) {
    fmt::print(stderr, "{}", notes);
    run_layout_search(f, req, measured_tp, measured_ep);
    return;
  }
  const EstimateResult result = estimate(req);
  if (f.days) refuse_gpus_beyond_bound(result, *f.days, "");
  fmt::print(stderr, "{}", notes);
  if (f.json) {
    std::cout << to_json(result).dump(2) << "\n";
  } else {
    print_estimate(std::cout, req, result);
  }
}

void add_estimate_command(CLI::App& app) {
  auto flags = std::make_shared<EstimateFlags>();
  auto* cmd = app.add_subcommand("estimate", "Training FLOPs, PF-days, GPU-hours, days, data centers, cost and energy");
  cmd->add_option("--model", flags->model,
                  "Model name (trainbench models) or a .toml file (default: the --results file's model, else "
                  "gpt3-175b)");
  cmd->add_option("--tokens", flags->tokens, "Training tokens (e.g. 300e9, 300B); default: the model's published count");
  cmd->add_option("--tflops", flags->tflops,
                  "Sustained TFLOP/s per GPU in PaLM's model-FLOP count (attention unmasked, as MFU counts; with "
                  "--recompute, the recomputed FLOPs too): the GPU's own, before communication (with a layout the "
                  "communication model takes its losses off; a published end-to-end figure, as Megatron-LM's 140 "
                  "for GPT-3 175B, includes them: give it without a layout)");
  cmd->add_option("--gpu", flags->gpu,
                  "GPU SKU (trainbench skus) or a .toml file: peak, TDP, price; several (h100-sxm,h200,b200) are "
                  "compared side by side at one --mfu");
  cmd->add_option("--mfu", flags->mfu,
                  "Model FLOPs utilization in (0,1], with --gpu: the GPU's own, before communication (with a "
                  "layout the communication model takes its losses off; published end-to-end MFUs include them). "
                  "Model FLOPs as PaLM counts them (attention unmasked), against the --dtype peak: with fp8, the "
                  "fp8 peak (run --dtype fp8 reports MFU against the bf16 one; the bf16 equivalent is printed)");
  cmd->add_option("--gpus", flags->gpus, "Number of GPUs training together");
  cmd->add_option("--recompute", flags->recompute,
                  "Activation recomputation: none, selective, full; auto (with --layout auto) tries none and full "
                  "(and selective with --attention unfused, the only storage it saves memory in)")
      ->capture_default_str();
  add_site_flag(cmd, flags->site,
                "the data centers needed by --days (the article's arithmetic beside the measured), whole sites "
                "that also hold the GPUs the job uses (--days's count, --layout auto's or --tp x --cp x --pp x --dp; "
                "not --gpus, a fleet apart), and the site's "
                "PUE and electricity price for the energy and its cost. With several --gpu: the same PUE and price "
                "for every SKU and the sites each SKU's throughput needs; a site built of one SKU (h100-1024) is "
                "refused there");
  cmd->add_option("--days", flags->days, "Deadline in days: data centers or GPUs needed to finish in time");
  cmd->add_option("--pue", flags->pue, "Power usage effectiveness (default: the site's, else 1.0)");
  cmd->add_option("--server-price", flags->server_price,
                  "Purchase price of one server (GPUs, CPUs, network) in --currency: the servers to buy; overrides "
                  "the SKU's [price] server. With several --gpu: one PRICE for all, or KEY=PRICE each (h200=400000)");
  cmd->add_option("--gpu-hour-price", flags->gpu_hour_price,
                  "Rental price per GPU-hour (a cloud or reserved quote): the cost of the GPU-hours; overrides "
                  "the SKU's [price]. With several --gpu: one PRICE for all, or KEY=PRICE each (h200=3.1)");
  cmd->add_option("--electricity-price", flags->electricity_price,
                  "Electricity price per kWh, in --currency: the energy's cost, and with a rental quote the two "
                  "together (default: the site's)");
  cmd->add_option("--currency", flags->currency,
                  "Currency of --gpu-hour-price, --server-price and --electricity-price (default: the SKU config's "
                  "[price] currency, else USD, said in the output, and refused beside a --site priced in another; for "
                  "--electricity-price the one of the SKU configs with a [price] table and --site's, refused where "
                  "they differ)");
  cmd->add_option("--seq", flags->seq, "Sequence length (default: the model's context)");
  cmd->add_option("--dtype", flags->dtype,
                  "Dtype whose peak MFU refers to: fp32, tf32, bf16, fp16, fp8 (with --results: the file's "
                  "machine.peak_dtype); fp8, or the results of an fp8 step, also counts Transformer Engine's fp8 "
                  "memory (docs/memory.md)")
      ->capture_default_str();
  cmd->add_option("--results", flags->results, "Take the sustained throughput from a `trainbench run` results file");
  cmd->add_flag("--json", flags->json, "Print one JSON object (every key: docs/estimate-json.md)");
  const std::string comm_group = "Parallel layout (communication model; without it scaling is ideal)";
  cmd->add_option("--tp", flags->tp, "Tensor-parallel size")->group(comm_group);
  cmd->add_option("--cp", flags->cp,
                  "Context-parallel size: ranks sharing each sequence, s/cp tokens each, K/V exchanged per layer "
                  "(default 1; --layout auto tries powers of two leaving >= 8192 tokens per GPU, or this one)")
      ->group(comm_group);
  cmd->add_option("--pp", flags->pp, "Pipeline-parallel size")->group(comm_group);
  cmd->add_option("--ep", flags->ep,
                  "Expert-parallel size (mixture-of-experts models): the experts split over this many of the "
                  "dp x cp ranks, tokens sent to them by all-to-all (default 1; --layout auto tries powers of two "
                  "dividing the experts, or this one)")
      ->group(comm_group);
  cmd->add_option("--dp", flags->dp, "Data-parallel size (default: --gpus / (tp*cp*pp))")->group(comm_group);
  cmd->add_option("--virtual-stages", flags->virtual_stages,
                  "Interleaved pipeline chunks per GPU (Megatron-LM): bubble / v, send/recv x v; must divide the "
                  "layers per pipeline stage (uneven stages: the busiest one's) (default 1; --layout auto tries 1, 2, "
                  "4 where they divide)")
      ->group(comm_group);
  cmd->add_option("--micro-batches", flags->micro_batches,
                  "Micro-batches per pipeline per step (default: the model's batch / (b x dp) where it divides, else "
                  "1, or 4*pp with pp > 1)")
      ->group(comm_group);
  cmd->add_option("--micro-batch-size", flags->micro_batch_size, "Sequences per micro-batch")
      ->capture_default_str()->group(comm_group);
  cmd->add_option("--ep-overlap", flags->ep_overlap,
                  "Fraction of the expert all-to-alls hidden behind compute, 0..1 (default 0; DeepSeek-V3's DualPipe "
                  "reports near-full overlap)")
      ->group(comm_group);
  cmd->add_option("--overlap", flags->overlap, "Fraction of the data-parallel traffic (the gradient all-reduce, or ZeRO's reduce-scatters and all-gathers) "
                  "hidden behind compute, 0..1 (default 0)")
      ->group(comm_group);
  cmd->add_option("--interconnect", flags->interconnect,
                  "Network per GPU across nodes: nvlink, infiniband (50 GB/s), ethernet (12.5 GB/s) or GB/s")
      ->group(comm_group);
  cmd->add_option("--comm-results", flags->comm_results,
                  "Link bandwidth measured by `trainbench comm --out FILE` (for a GPU: by its nccl backend; a file "
                  "of MPI host-memory collectives is refused)")
      ->group(comm_group);
  add_layout_flags(cmd, flags->layout, flags->global_batch);
  for (const char* name : {"--layout", "--global-batch"}) cmd->get_option(name)->group(comm_group);
  add_interruption_flags(cmd, flags->interruptions);
  const std::string memory_group = "Memory per GPU (with the layout; docs/memory.md)";
  cmd->add_option("--zero", flags->zero,
                  "ZeRO stage over the data-parallel group: 0 none, 1 optimizer (Megatron's distributed optimizer; "
                  "the all-reduce's traffic), 2 + gradients, reduce-scattered per micro-batch, 3 + weights, gathered "
                  "twice per micro-batch (docs/comm.md) (default 0 with a given layout; with --layout auto, the "
                  "lowest of 1, 2, 3 that fits each layout wherever dp x cp > 1)")
      ->group(memory_group);
  cmd->add_flag("--zero3-keep-gathered", flags->zero3_keep_gathered,
                "With --zero 3: keep the weights gathered in the forward for the backward (PyTorch FSDP's "
                "reshard_after_forward=False): m all-gathers a step instead of 2m, the stage's whole weights held "
                "during each micro-batch (docs/comm.md, docs/memory.md)")
      ->group(memory_group);
  cmd->add_option("--grad-dtype", flags->grad_dtype,
                  "bf16 (2 B per parameter, ZeRO's convention, the default) or fp32 (4 B: Megatron-LM accumulates "
                  "bf16 training's gradients in fp32, 18 B per parameter; they also travel in fp32 in the "
                  "data-parallel reduction)")
      ->group(memory_group);
  cmd->add_option("--sequence-parallel", flags->sequence_parallel,
                  "on or off: activations split over the tensor group too (default on)")
      ->group(memory_group);
  cmd->add_option("--attention", flags->attention,
                  "fused (FlashAttention-style, the default) or unfused (keeps the s x s scores)")
      ->group(memory_group);
  cmd->callback([flags, cmd] {
    flags->seq_given = cmd->count("--seq") > 0;
    flags->dtype_given = cmd->count("--dtype") > 0;
    run_estimate(*flags);
  });
}

const Registration registration{"estimate", 30, add_estimate_command};

}  // namespace
}  // namespace tb::cli
