#pragma once
// Which parallel layout trains the model: the fastest on n GPUs, or the fewest servers that finish
// by a deadline, among the layouts whose memory per GPU fits the SKU. Megatron-LM's space
// (Narayanan et al. 2021 §3.3): tensor parallelism inside a server (t divides the heads and the
// server's GPU count), pipelining over up to L stages (uneven ones cost their imbalance), data parallelism for the
// rest; the global batch B stays fixed, so each pipeline runs m = B / (b·dp) micro-batches.
// Every candidate goes through estimate(): the communication model for its time, the memory
// model for whether it fits. Unless --zero pins a stage, each layout with dp·cp > 1 takes the
// lowest of ZeRO-1, 2 and 3 that fits its memory (harness/estimate/zero_stage_choice.hpp):
// ZeRO-1 (a distributed optimizer) costs no extra communication (a reduce-scatter and an
// all-gather move what the all-reduce moved); stages 2 and 3 save more memory and cost more
// traffic (a reduce-scatter per micro-batch; ZeRO-3 also two all-gathers of the weights per
// micro-batch), which the communication model charges, so across layouts the search weighs the two.
// A throughput measured by `trainbench run --tp T` holds for that t only (its GEMMs are that t's
// shapes), so the search then keeps t = T (`measured_tp`) and chooses pp and dp. A throughput
// given as a figure (--tflops, --mfu) is taken for every t, which flatters large t (smaller
// GEMMs usually run slower). Interleaved schedules are searched (virtual_stages), and context
// parallelism (c ranks per sequence: powers of two leaving at least 8192 tokens per GPU, see
// context_sizes), for long sequences; a measured throughput is then taken for b·s/c tokens per
// GEMM too. For mixture-of-experts models expert parallelism is searched too (powers of two
// dividing the experts, that divide cp·dp); a throughput measured at
// ep 1 is taken for larger e too, whose expert GEMMs are e times taller (so usually no slower).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/estimate/estimate.hpp"

namespace tb {

struct LayoutSearchRequest {
  // Model, tokens, throughput, SKU (memory, server size, links), recompute, overlap, interconnect.
  // Its tp/pp/dp/micro-batches are ignored; gpus or days sets the objective.
  EstimateRequest base;
  int64_t global_batch = 0;                      // sequences per step; 0: the model's batch_sequences
  std::vector<int64_t> micro_batch_sizes{1};     // b to try
  // Pinned (--zero; with base.zero3_keep_gathered it must be 3); else the lowest of 1, 2, 3 that
  // fits each layout where dp·cp > 1, 0 elsewhere.
  std::optional<int> zero_stage;
  std::optional<int64_t> measured_tp;            // the t the throughput was measured at: only it
  // The e a MoE throughput was measured at: only it (unless expert_sizes pins others), for its
  // expert GEMMs are e·b·s·k/E rows tall, and a smaller e would run shorter, slower ones.
  std::optional<int64_t> measured_ep;
  // Recomputation modes to try (`--recompute auto`: none, selective, full); empty: the base's.
  // Full recomputation fits where nothing else does but re-runs the forward (a third more work).
  std::vector<Recompute> recompute_modes;
  // Interleaved pipeline chunks per GPU to try (Megatron-LM's --num-layers-per-virtual-pipeline-
  // stage); 1 is the plain 1F1B schedule. Tried where the schedule allows (pp > 1, m % pp == 0,
  // v dividing the busiest stage's ceil(L/p) layers: comm::check_virtual_stages).
  std::vector<int64_t> virtual_stages{1, 2, 4};
  // Context-parallel sizes to try (--cp pins one); empty: powers of two with >= 8192 tokens per GPU.
  std::vector<int64_t> context_sizes;
  // Expert-parallel sizes to try (--ep pins one); empty: expert_sizes() of the model.
  std::vector<int64_t> expert_sizes;
  size_t keep = 5;                               // candidates returned, best first
};

struct LayoutChoice {
  EstimateRequest request;   // what reproduces it: tp, pp, dp, micro-batches, b, zero
  EstimateResult result;     // with scaling and memory
  std::string zero_reason;   // why its ZeRO stage (zero_stage_reason)
};

struct LayoutSearchResult {
  std::string objective;     // "shortest time on 1024 GPUs" or "fewest servers of 8 GPUs to finish in 30 days"
  int64_t global_batch = 0;
  std::optional<int> zero_stage_pinned;  // --zero; else the lowest of ZeRO-1, 2, 3 that fits, where dp·cp > 1
  bool zero3_keep_gathered = false;      // with --zero 3 --zero3-keep-gathered
  std::vector<int64_t> tensor_sizes;   // the t tried
  std::vector<int64_t> context_sizes;  // the c tried
  std::vector<int64_t> expert_sizes;   // the e tried ({1} for dense models)
  bool expert_size_measured = false;   // e fixed by the measurement (measured_ep)
  bool tensor_size_measured = false;   // t fixed by the measurement (measured_tp)
  int64_t considered = 0;
  int64_t feasible = 0;                // memory fits (verdict "fits") and, with days, in time
  std::vector<LayoutChoice> ranked;    // best first; empty when nothing fits (or meets the deadline)
  // With a deadline that no fitting layout meets, what can be had instead of "none": the soonest
  // any fitting layout finishes (more GPUs past some point only add communication), and the
  // fewest GPUs that come within kNearSoonest of it (the soonest alone may take absurd fleets).
  std::optional<double> soonest_days;
  // With --mfu and several recomputation modes, the hardware rate (MFU x peak) held across them;
  // `--mfu` with a pinned --recompute full would mean a faster GPU, so the best layout is
  // reproduced with --tflops at this rate.
  std::optional<double> held_hardware_tflops;
  std::optional<LayoutChoice> soonest_fitting;
};

inline constexpr double kNearSoonest = 1.10;

// Expert-parallel sizes the search tries for `model`: 1, and for mixture-of-experts models the
// powers of two that divide its experts (up to one expert per rank).
std::vector<int64_t> expert_sizes(const ModelConfig& model);

// The tensor-parallel size `trainbench run` measures when none is given: 1 where the model trains
// on one device (its state and the activations of `micro_batch` sequences of `seq_len` tokens, 0
// the model's context, fit `capacity_gib` with the verdict's margin), else the largest that divides
// the heads within one server (Megatron-LM's practice for large models). `why` says which, for the
// run's header.
struct DefaultTensorParallel {
  int64_t tp = 1;
  std::string why;
};
DefaultTensorParallel default_tensor_parallel(const ModelConfig& model, double capacity_gib, int gpus_per_server,
                                              int64_t micro_batch = 1, int64_t seq_len = 0);

// Refuses, naming the flag: no throughput, no SKU, neither --gpus nor --days, no global batch
// (the model's config has none and --global-batch is absent), a global batch that no layout of
// the GPUs divides, a ZeRO stage outside 0..3, weights kept gathered without --zero 3.
LayoutSearchResult search_layouts(const LayoutSearchRequest& request);

}  // namespace tb
