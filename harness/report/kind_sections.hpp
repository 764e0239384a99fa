#pragma once
// The report's sections for files that are not `run`s (report_inputs.hpp): each as the command
// that wrote it shows it, one JSON object per file that the page's script draws. Every object
// has origin (the path given), device and machine (run_provenance.hpp's machine_json).
#include <nlohmann/json.hpp>

#include "harness/compare/compatibility.hpp"

namespace tb::report {

// health[]: + health (health_json: verdict, verdict_of_measured, checks).
nlohmann::json health_section(const compare::LabeledResults& file);

// sweeps[]: + dtype, sku, peak_tflops, shapes (every shape, fastest first among those measured:
// m, n, k, layout, shape, status, error, median_ms, tflops, pct_of_peak, rel_noise (null where
// unknown), samples, verified), shapes_measured, best (the fastest measured shape, null if none):
// what `sweep` prints and its CSV holds.
nlohmann::json sweep_section(const compare::LabeledResults& file);

// comm[]: + ranks, hosts, backend, library, rows in nccl-tests' columns (name, op, bytes, count,
// dtype, time_us, algbw_gb_s, busbw_gb_s, wrong (null: not checked), status, error),
// avg_busbw_gb_s (nccl-tests' closing "Avg bus bandwidth", over the sizes measured; null with one
// rank, where busbw measures no link).
nlohmann::json comm_section(const compare::LabeledResults& file);

// kernel_files[]: `gemm` and `attention` files: + command, sku, peak_tflops, rows (name, shape,
// dtype, layout, status, error, median_ms, tflops, gbps, pct_of_peak, verified, samples,
// algorithm).
nlohmann::json kernel_file_section(const compare::LabeledResults& file);

}  // namespace tb::report
