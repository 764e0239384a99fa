#pragma once
// Model config → the exact list of kernels one training step runs on one GPU.
#include <cstdint>
#include <vector>

#include "harness/model/model_config.hpp"
#include "harness/workload/op.hpp"

namespace tb {

struct WorkloadOptions {
  int64_t tensor_parallel = 1;  // t: heads, ffn and vocabulary are split t ways (Megatron-LM)
  int64_t micro_batch = 1;      // b
  int64_t seq_len = 0;          // s; 0 takes the model's training context
  DType dtype = DType::BF16;
  bool causal = true;           // decoder LMs mask the future; false matches papers' full-s² counts
};

enum class Recompute { None, Selective, Full };
const char* to_string(Recompute mode);
Recompute parse_recompute(const std::string& text, const std::string& what);

struct Workload {
  ModelConfig model;
  WorkloadOptions options;  // seq_len resolved
  std::vector<Op> ops;      // distinct kernels, each with its calls per step

  int64_t tokens_per_step() const { return options.micro_batch * options.seq_len; }
  // Sums over ops × calls on ONE GPU.
  double model_flops_per_step() const;
  double executed_flops_per_step() const;
  // Hardware FLOPs: executed plus the forward ops that recomputation re-runs.
  double hardware_flops_per_step(Recompute mode) const;
  // Algorithmic FLOPs with recomputation (Megatron-LM's count: backward = 2× forward).
  double model_flops_with_recompute_per_step(Recompute mode) const;
};

// Refuses tp that does not divide heads (or ffn, vocabulary padding aside), naming the flag.
Workload build_workload(const ModelConfig& model, WorkloadOptions options);

}  // namespace tb
