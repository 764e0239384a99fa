#pragma once
// Which FLOPs a results file's MFU and HFU count, and the reading of files from before schema
// version 2. Since version 2 a kernel's model_flops and the step's model_flops count attention
// unmasked even when causal (PaLM appendix B, as published MFUs count it), and the step's
// hardware_flops are in that convention too; a kernel's own flops stay what it executes.
#include "harness/results/run_results.hpp"

namespace tb::results {

// A kernel's FLOPs per call in MFU's convention, what HFU counts: a causal attention kernel's
// flops doubled (its kernel skips the masked half; the fused backward's recompute of S kept),
// any other kernel's as they are. tb::hardware_flops(const Op&) is the same rule for an op.
double kernel_hardware_flops(const KernelResult& kernel);

// Schema version 1 counted a causal attention kernel's model FLOPs halved, as its kernel runs
// them. Converts such a file to version 2's convention: each causal attention kernel's
// model_flops doubled, the step's model_flops and hardware_flops raised by what that adds over
// its measured kernels, and its mfu and hfu scaled with them (a recorded value that was not its
// FLOPs over its time stays as far off, for the consistency checks to refuse). schema_version
// then reads 2; anything else is left alone.
void convert_from_schema_1(RunResults& results);

}  // namespace tb::results
