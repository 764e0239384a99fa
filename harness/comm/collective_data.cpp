#include "harness/comm/collective_data.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "harness/common/errors.hpp"

namespace tb::comm {

namespace {

bool is_reduction(Collective c) {
  return c == Collective::AllReduce || c == Collective::ReduceScatter || c == Collective::Reduce;
}

double reduction_input(int64_t rank, int64_t index) { return 1.0 + static_cast<double>((rank + index) % 5); }
double movement_input(int64_t rank, int64_t index) { return static_cast<double>((37 * rank + 11 * index) % 251); }

// Σ_q in(q, i) over q < n: depends only on i mod 5, so it is computed once per call in O(n).
double reduced_sum(int64_t ranks, int64_t index) {
  double sum = 0;
  for (int64_t q = 0; q < ranks; ++q) sum += reduction_input(q, index);
  return sum;
}

double read_element(DType dtype, const void* data, int64_t i) {
  if (dtype == DType::BF16) return float_from_bf16(static_cast<const uint16_t*>(data)[i]);
  return static_cast<const float*>(data)[i];
}

}  // namespace

int comm_element_bytes(DType dtype) {
  if (dtype == DType::FP32) return 4;
  if (dtype == DType::BF16) return 2;
  throw UsageError(fmt::format("--dtype {}: collectives run in bf16 or fp32; accepted values: bf16, fp32",
                               to_string(dtype)));
}

uint16_t bf16_from_float(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if (std::isnan(value)) return static_cast<uint16_t>((bits >> 16) | 0x40);  // stay a (quiet) NaN
  // Round to nearest, ties to even: add 0x7fff plus the lowest kept bit, then truncate.
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

float float_from_bf16(uint16_t bits) {
  const uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof value);
  return value;
}

double input_value(Collective c, int64_t rank, int64_t index) {
  return is_reduction(c) ? reduction_input(rank, index) : movement_input(rank, index);
}

double expected_value(Collective c, int64_t rank, int64_t ranks, int64_t index, const BufferCounts& counts) {
  switch (c) {
    case Collective::AllReduce: return reduced_sum(ranks, index);
    case Collective::ReduceScatter: return reduced_sum(ranks, rank * counts.recv_count + index);
    case Collective::AllGather: {
      const int64_t piece = counts.send_count;  // rank q's input lands at q·piece
      return movement_input(index / piece, index % piece);
    }
    case Collective::AllToAll: {
      // Rank q's send block r (elements r·b ... ) arrives in rank r's receive block q.
      const int64_t block = counts.send_count / ranks;
      return movement_input(index / block, rank * block + index % block);
    }
    case Collective::SendRecv: return movement_input((rank + ranks - 1) % ranks, index);  // ring: from rank − 1
    case Collective::Broadcast: return movement_input(kRootRank, index);
    case Collective::Reduce: return rank == kRootRank ? reduced_sum(ranks, index) : 0.0;
  }
  return 0;
}

double check_tolerance(Collective c, int64_t ranks, DType dtype) {
  if (!is_reduction(c) || dtype != DType::BF16 || 5 * ranks <= 256) return 0.0;
  return static_cast<double>(ranks - 1) * std::ldexp(1.0, -8);
}

void fill_input(Collective c, int64_t rank, const BufferCounts& counts, DType dtype, void* data) {
  for (int64_t i = 0; i < counts.send_count; ++i) {
    const float v = static_cast<float>(input_value(c, rank, i));
    if (dtype == DType::BF16) static_cast<uint16_t*>(data)[i] = bf16_from_float(v);
    else static_cast<float*>(data)[i] = v;
  }
}

CheckResult check_output(Collective c, int64_t rank, int64_t ranks, const BufferCounts& counts, DType dtype,
                         const void* data) {
  CheckResult r;
  r.tolerance = check_tolerance(c, ranks, dtype);
  // Reductions depend on the index only through i mod 5: precompute the five sums.
  double sums[5];
  for (int k = 0; k < 5; ++k) sums[k] = reduced_sum(ranks, k);
  for (int64_t i = 0; i < counts.recv_count; ++i) {
    double expected;
    if (c == Collective::AllReduce || (c == Collective::Reduce && rank == kRootRank)) expected = sums[i % 5];
    else if (c == Collective::ReduceScatter) expected = sums[(rank * counts.recv_count + i) % 5];
    else expected = expected_value(c, rank, ranks, i, counts);
    const double got = read_element(dtype, data, i);
    const double rel = std::fabs(got - expected) / std::max(std::fabs(expected), 1.0);
    ++r.checked;
    if (!(rel <= r.tolerance)) {  // NaN counts as wrong
      if (r.wrong == 0) r.first_wrong = fmt::format("element {}: got {}, expected {}", i, got, expected);
      ++r.wrong;
    }
    if (std::isfinite(rel)) r.max_rel_error = std::max(r.max_rel_error, rel);  // NaN: counted wrong above
  }
  return r;
}

CheckResult check_in_place_output(Collective c, int64_t rank, int64_t ranks, const BufferCounts& counts, DType dtype,
                                  const void* data) {
  if (c != Collective::Reduce || rank == kRootRank) return check_output(c, rank, ranks, counts, dtype, data);
  CheckResult r;  // exact: the buffer is untouched
  for (int64_t i = 0; i < counts.send_count; ++i) {
    const double expected = input_value(c, rank, i), got = read_element(dtype, data, i);
    ++r.checked;
    if (got != expected) {
      if (r.wrong == 0) r.first_wrong = fmt::format("element {}: got {}, expected {} (its own input)", i, got, expected);
      ++r.wrong;
      if (std::isfinite(got)) r.max_rel_error = std::max(r.max_rel_error, std::fabs(got - expected) / std::max(expected, 1.0));
    }
  }
  return r;
}

}  // namespace tb::comm
