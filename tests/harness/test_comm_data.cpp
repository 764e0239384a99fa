// Every collective's check against an independent simulation of what the collective does: the
// simulation moves and sums the filled inputs directly, so a wrong closed form in
// collective_data.cpp fails here. A planted error must be caught.
#include <gtest/gtest.h>

#include <vector>

#include "harness/comm/collective_data.hpp"
#include "harness/common/errors.hpp"

namespace tb::comm {
namespace {

std::vector<float> filled(Collective c, int64_t rank, const BufferCounts& counts) {
  std::vector<float> v(counts.send_count);
  fill_input(c, rank, counts, DType::FP32, v.data());
  return v;
}

// What rank r holds after the collective, computed from every rank's input.
std::vector<float> simulate(Collective c, int64_t r, int64_t n, const BufferCounts& counts) {
  std::vector<std::vector<float>> in;
  for (int64_t q = 0; q < n; ++q) in.push_back(filled(c, q, counts));
  std::vector<float> out(counts.recv_count, 0.0f);
  switch (c) {
    case Collective::AllReduce:
      for (int64_t q = 0; q < n; ++q)
        for (int64_t i = 0; i < counts.recv_count; ++i) out[i] += in[q][i];
      break;
    case Collective::ReduceScatter:
      for (int64_t q = 0; q < n; ++q)
        for (int64_t i = 0; i < counts.recv_count; ++i) out[i] += in[q][r * counts.recv_count + i];
      break;
    case Collective::AllGather:
      for (int64_t q = 0; q < n; ++q)
        for (int64_t j = 0; j < counts.send_count; ++j) out[q * counts.send_count + j] = in[q][j];
      break;
    case Collective::AllToAll: {
      const int64_t b = counts.send_count / n;
      for (int64_t q = 0; q < n; ++q)
        for (int64_t j = 0; j < b; ++j) out[q * b + j] = in[q][r * b + j];
      break;
    }
    case Collective::SendRecv: out = in[(r + n - 1) % n]; break;
    case Collective::Broadcast: out = in[0]; break;  // root 0, as nccl-tests' broadcast_perf -r 0
    case Collective::Reduce:  // root 0 sums; the others' output is left as cleared
      if (r == 0)
        for (int64_t q = 0; q < n; ++q)
          for (int64_t i = 0; i < counts.recv_count; ++i) out[i] += in[q][i];
      break;
  }
  return out;
}

TEST(CommData, ChecksPassOnSimulatedCollectivesAndCatchPlantedErrors) {
  for (int64_t n : {1, 2, 3, 8}) {
    for (Collective c : measured_collectives()) {
      const BufferCounts counts = buffer_counts(c, 4 * 96, n, 4);
      for (int64_t r = 0; r < n; ++r) {
        std::vector<float> out = simulate(c, r, n, counts);
        const CheckResult ok = check_output(c, r, n, counts, DType::FP32, out.data());
        EXPECT_EQ(ok.wrong, 0) << to_string(c) << " n=" << n << " r=" << r << ": " << ok.first_wrong;
        EXPECT_EQ(ok.checked, counts.recv_count);
        out[out.size() / 2] += 1.0f;
        const CheckResult bad = check_output(c, r, n, counts, DType::FP32, out.data());
        EXPECT_EQ(bad.wrong, 1) << to_string(c) << " n=" << n;
        EXPECT_FALSE(bad.first_wrong.empty());
      }
    }
  }
}

TEST(CommData, BlockAtTheWrongRanksOffsetIsCaught) {
  // All-gather over 4 ranks with ranks 1 and 2 swapped in the output: every element of both blocks differs.
  const BufferCounts counts = buffer_counts(Collective::AllGather, 4 * 4 * 8, 4, 4);
  std::vector<float> out = simulate(Collective::AllGather, 0, 4, counts);
  std::swap_ranges(out.begin() + 8, out.begin() + 16, out.begin() + 16);
  EXPECT_EQ(check_output(Collective::AllGather, 0, 4, counts, DType::FP32, out.data()).wrong, 16);
}

TEST(CommData, RunsEveryCollectiveTheCliOffers) {
  const auto& all = measured_collectives();
  ASSERT_EQ(all.size(), 7u);
  EXPECT_EQ(all[5], Collective::Broadcast);
  EXPECT_EQ(all[6], Collective::Reduce);
}

TEST(CommData, BroadcastFromAnotherRootIsCaught) {
  // Rank 2 holding rank 1's input instead of rank 0's: 37 apart mod 251, every element wrong.
  const BufferCounts counts = buffer_counts(Collective::Broadcast, 4 * 64, 3, 4);
  std::vector<float> out = filled(Collective::Broadcast, 1, counts);
  EXPECT_EQ(check_output(Collective::Broadcast, 2, 3, counts, DType::FP32, out.data()).wrong, 64);
  out = filled(Collective::Broadcast, 0, counts);
  EXPECT_EQ(check_output(Collective::Broadcast, 2, 3, counts, DType::FP32, out.data()).wrong, 0);
}

TEST(CommData, ReduceChecksTheSumAtTheRootAndAnUntouchedBufferElsewhere) {
  // 4 ranks, element 0: inputs 1 + (q mod 5) = 1, 2, 3, 4 -> 10 at the root.
  const BufferCounts counts = buffer_counts(Collective::Reduce, 4 * 10, 4, 4);
  EXPECT_EQ(expected_value(Collective::Reduce, 0, 4, 0, counts), 10.0);
  EXPECT_EQ(expected_value(Collective::Reduce, 1, 4, 0, counts), 0.0);
  // A non-root that received the sum (a reduce run as an all-reduce) is wrong everywhere.
  const std::vector<float> sums = simulate(Collective::Reduce, 0, 4, counts);
  EXPECT_EQ(check_output(Collective::Reduce, 3, 4, counts, DType::FP32, sums.data()).wrong, 10);
  // A root left untouched is wrong everywhere too.
  const std::vector<float> zeros(counts.recv_count, 0.0f);
  EXPECT_EQ(check_output(Collective::Reduce, 0, 4, counts, DType::FP32, zeros.data()).wrong, 10);
}

// In place a reduce's non-root sends its buffer, which must still hold its input; every other
// output is checked as out of place.
TEST(CommData, InPlaceReduceLeavesANonRootsInputAndChecksTheRest) {
  const BufferCounts counts = buffer_counts(Collective::Reduce, 4 * 10, 4, 4);
  const std::vector<float> own = filled(Collective::Reduce, 2, counts);
  EXPECT_EQ(check_in_place_output(Collective::Reduce, 2, 4, counts, DType::FP32, own.data()).wrong, 0);
  // Cleared (what the out-of-place check wants) or another rank's input: wrong in place.
  const std::vector<float> zeros(counts.send_count, 0.0f);
  EXPECT_EQ(check_in_place_output(Collective::Reduce, 2, 4, counts, DType::FP32, zeros.data()).wrong, 10);
  const std::vector<float> other = filled(Collective::Reduce, 1, counts);
  EXPECT_GT(check_in_place_output(Collective::Reduce, 2, 4, counts, DType::FP32, other.data()).wrong, 0);
  // The root holds the sum, in place as out of place.
  const std::vector<float> sums = simulate(Collective::Reduce, 0, 4, counts);
  EXPECT_EQ(check_in_place_output(Collective::Reduce, 0, 4, counts, DType::FP32, sums.data()).wrong, 0);
  EXPECT_EQ(check_in_place_output(Collective::Reduce, 0, 4, counts, DType::FP32, zeros.data()).wrong, 10);
  const BufferCounts ar = buffer_counts(Collective::AllReduce, 4 * 10, 4, 4);
  EXPECT_EQ(check_in_place_output(Collective::AllReduce, 3, 4, ar, DType::FP32, zeros.data()).wrong, 10);
}

TEST(CommData, Bf16RoundsToNearestEvenAndSumsStayExact) {
  EXPECT_EQ(bf16_from_float(1.0f), 0x3f80);
  EXPECT_EQ(float_from_bf16(0x3f80), 1.0f);
  EXPECT_EQ(bf16_from_float(1.0f + 1.0f / 256), 0x3f80);                 // tie -> even (down)
  EXPECT_EQ(bf16_from_float(1.0f + 3.0f / 256), 0x3f82);                 // tie -> even (up)
  EXPECT_EQ(bf16_from_float(1.0f + 1.0f / 256 + 1.0f / 1024), 0x3f81);   // above the tie -> up
  // Integers up to 256 are exact in bf16: the reduction inputs (1..5) summed over <= 51 ranks are.
  for (int v = 0; v <= 256; ++v) EXPECT_EQ(float_from_bf16(bf16_from_float(static_cast<float>(v))), v);
  EXPECT_EQ(check_tolerance(Collective::AllReduce, 51, DType::BF16), 0.0);
  EXPECT_GT(check_tolerance(Collective::AllReduce, 52, DType::BF16), 0.0);
  EXPECT_EQ(check_tolerance(Collective::AllReduce, 1024, DType::FP32), 0.0);
  EXPECT_EQ(check_tolerance(Collective::AllGather, 1024, DType::BF16), 0.0);
  // A bf16 all-reduce over 8 ranks, checked in bf16 storage.
  const BufferCounts counts = buffer_counts(Collective::AllReduce, 2 * 40, 8, 2);
  std::vector<float> sums = simulate(Collective::AllReduce, 0, 8, counts);
  std::vector<uint16_t> bits;
  for (float s : sums) bits.push_back(bf16_from_float(s));
  EXPECT_EQ(check_output(Collective::AllReduce, 0, 8, counts, DType::BF16, bits.data()).wrong, 0);
  EXPECT_THROW(comm_element_bytes(DType::FP8), UsageError);
}

}  // namespace
}  // namespace tb::comm
