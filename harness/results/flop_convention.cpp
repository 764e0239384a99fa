#include "harness/results/flop_convention.hpp"

namespace tb::results {

namespace {

bool causal_attention(const KernelResult& k) {
  return k.causal && (k.kind == "attention_fwd" || k.kind == "attention_bwd");
}

// `value` measured against `before`, moved to `after`: scaled with its FLOPs.
double rescaled(double value, double before, double after) { return before > 0 ? value * after / before : value; }

}  // namespace

double kernel_hardware_flops(const KernelResult& k) { return causal_attention(k) ? 2.0 * k.flops : k.flops; }

void convert_from_schema_1(RunResults& r) {
  if (r.schema_version != 1) return;
  double model_before = 0, model_added = 0, hardware_before = 0, hardware_added = 0;
  for (auto& k : r.kernels) {
    const bool measured = k.status == "ok";
    const double calls = step_calls(k, r.workload);
    if (measured) {
      model_before += calls * k.model_flops;
      hardware_before += calls * k.flops;
    }
    if (!causal_attention(k)) continue;
    if (measured) {
      model_added += calls * k.model_flops;
      hardware_added += calls * k.flops;
    }
    k.model_flops *= 2.0;
  }
  if (r.step) {
    StepResult& s = *r.step;
    // Scaled by the step's own recorded FLOPs where it has them, so that a step at odds with its
    // kernels stays at odds; by its kernels' where a file recorded none.
    const double model = s.model_flops > 0 ? s.model_flops : model_before;
    const double hardware = s.hardware_flops > 0 ? s.hardware_flops : hardware_before;
    s.mfu = rescaled(s.mfu, model, model + model_added);
    s.hfu = rescaled(s.hfu, hardware, hardware + hardware_added);
    if (s.model_flops > 0) s.model_flops += model_added;
    if (s.hardware_flops > 0) s.hardware_flops += hardware_added;
  }
  r.schema_version = 2;
}

}  // namespace tb::results
