#pragma once
// The communication model applied to an estimate (harness/estimate): resolves the layout's
// data-parallel size from --dp, --gpus or the --days deadline, runs model_scaling(), and
// divides the ideal GPU-hours (and so days, energy, rental) by the scaling efficiency.
#include <optional>

#include "harness/estimate/estimate.hpp"

namespace tb::comm {

// Called by estimate() when the request gives tp, pp or dp. Refuses a layout that
// contradicts --gpus, or a missing throughput, naming the flags.
void apply_comm_model(const EstimateRequest& request, EstimateResult& result);

// The micro-batch default: 1 without pipelining, else 4·pp (bubble (p−1)/(5p−1) < 20%).
int64_t default_micro_batches(int64_t pp);  // 1, or 4·pp with pp > 1 (bubble < 20%)
// Whether the model's batch sets them for `layout`: b·dp divides it, in groups of pp when interleaved.
bool batch_sets_micro_batches(std::optional<int64_t> batch_sequences, const ParallelLayout& layout);
// Micro-batches per pipeline when none are given: the model's published batch over the
// pipelines, batch / (b·dp), where it divides; else default_micro_batches(pp).
int64_t default_micro_batches(std::optional<int64_t> batch_sequences, const ParallelLayout& layout);

// One line for the scaling reasons: the global batch the layout runs (m x b x dp sequences, and in
// tokens), beside the model's configured batch; "WARNING: ..." where they differ, with why (an
// interleaved schedule's groups of pp, a dp that does not divide the batch, --micro-batches) and
// what gives the model's.
std::string global_batch_note(const EstimateRequest& request, const ParallelLayout& layout);

// Expert ranks are drawn from the cp·dp replicas, so e must divide cp·dp: dp must be a multiple
// of e / gcd(e, cp).
int64_t dp_multiple(int64_t ep, int64_t cp);

// The layout the flags give: tp, cp, pp (1 unless given), micro-batches (their default for pp),
// virtual stages, micro-batch size, `seq_len`, and dp from --dp or --gpus / (tp·cp·pp), else 1.
// Refuses a size outside 1..1000000, --gpus that contradicts tp·cp·pp·dp or is not a multiple of
// tp·cp·pp, naming the flags.
ParallelLayout layout_from_request(const EstimateRequest& request, int64_t seq_len);

// Links without --interconnect or --comm-results: the SKU's, the site's network over its
// inter-node figure.
LinkBandwidths default_links(const EstimateRequest& request);

}  // namespace tb::comm
