#pragma once
// Known inputs and closed-form outputs for every collective, so each result is checked
// (nccl-tests' -c): every rank fills rank-dependent values, and every rank checks its own
// output against the formula below, element by element.
//   reductions: in(r, i) = 1 + (r + i) mod 5, small integers, so Σ over n ranks is exact in
//     fp32 and, while 5n <= 256 (bf16 holds 8 significant bits), in bf16 too; past that a
//     ring's rounding order is allowed a relative (n−1)·2⁻⁸.
//   data movement: in(r, i) = (37r + 11i) mod 251, integers < 256, exact in bf16; distinct per
//     rank for n < 251, so a block landing at the wrong rank's offset is caught.
//   broadcast: every rank holds the root's (rank 0's) input; reduce: the root holds the sum and
//     every other rank's output stays as run_and_check cleared it, 0 (NCCL and MPI leave a
//     non-root's receive buffer untouched; nccl-tests checks it unchanged), which no sum (>= n) is.
// Pure and CUDA-free: the MPI and NCCL backends share it, and the tests run it directly.
#include <cstdint>
#include <string>

#include "harness/comm/collective.hpp"
#include "harness/hardware/sku_config.hpp"

namespace tb::comm {

// The dtypes collectives run in: fp32 and bf16 (stored as uint16, the upper half of fp32).
// Others are a UsageError naming --dtype.
int comm_element_bytes(DType dtype);

// Round-to-nearest-even fp32 → bf16 (what NCCL's bf16 sum does after each addition), and back.
uint16_t bf16_from_float(float value);
float float_from_bf16(uint16_t bits);

double input_value(Collective c, int64_t rank, int64_t index);
// Element `index` of `rank`'s output buffer.
double expected_value(Collective c, int64_t rank, int64_t ranks, int64_t index, const BufferCounts& counts);
// 0 (exact) except bf16 reductions over more than 51 ranks.
double check_tolerance(Collective c, int64_t ranks, DType dtype);

// Writes counts.send_count elements of `dtype` at `data`.
void fill_input(Collective c, int64_t rank, const BufferCounts& counts, DType dtype, void* data);

struct CheckResult {
  int64_t wrong = 0;        // elements off by more than the tolerance (nccl-tests' #wrong)
  int64_t checked = 0;
  double max_rel_error = 0; // |got − expected| / max(|expected|, 1)
  double tolerance = 0;
  std::string first_wrong;  // "element 17: got 3, expected 4" or ""
};
// Reads counts.recv_count elements of `dtype` at `data`.
CheckResult check_output(Collective c, int64_t rank, int64_t ranks, const BufferCounts& counts, DType dtype,
                         const void* data);

// In place (nccl-tests' in-place columns: one buffer for input and output), `data` is where the
// output lies in that buffer; every rank's output is as out of place, except a reduce's non-root,
// whose buffer is its input and must still hold it (NCCL and MPI write nothing there).
CheckResult check_in_place_output(Collective c, int64_t rank, int64_t ranks, const BufferCounts& counts, DType dtype,
                                  const void* data);

}  // namespace tb::comm
