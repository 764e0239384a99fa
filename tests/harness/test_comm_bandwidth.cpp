// algbw and busbw against nccl-tests' definitions (doc/PERFORMANCE.md) and its printed lines;
// buffer counts as nccl-tests' GetCollByteCount; message-size parsing as its -b/-e/-f.
#include <gtest/gtest.h>

#include "harness/comm/collective.hpp"
#include "harness/comm/size_list.hpp"
#include "harness/common/errors.hpp"

namespace tb::comm {
namespace {

TEST(CommBandwidth, BusFactorsAreNcclTestsDefinitions) {
  // PERFORMANCE.md "Summary": AllReduce 2(n-1)/n; ReduceScatter, AllGather, AlltoAll (n-1)/n;
  // Broadcast, Reduce 1; send/recv moves S once (algbw = busbw in sendrecv_perf's output).
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::AllReduce, 8), 1.75);
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::AllReduce, 2), 1.0);
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::AllReduce, 1), 0.0);
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::AllGather, 8), 0.875);
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::ReduceScatter, 4), 0.75);
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::AllToAll, 16), 15.0 / 16.0);
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::SendRecv, 8), 1.0);
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::Broadcast, 8), 1.0);
  EXPECT_DOUBLE_EQ(busbw_factor(Collective::Reduce, 8), 1.0);
  EXPECT_THROW(busbw_factor(Collective::AllReduce, 0), UsageError);
}

TEST(CommBandwidth, MatchesPrintedNcclTestsLines) {
  // sendrecv_perf on 8 A100 (NVLink): 134217728 B in 1211.2 us -> algbw 110.81, busbw 110.81.
  EXPECT_NEAR(algbw_gb_s(134217728, 1211.2e-6), 110.81, 0.005);
  EXPECT_NEAR(busbw_gb_s(Collective::SendRecv, 134217728, 1211.2e-6, 8), 110.81, 0.005);
  // Hand: all-reduce of 1 GiB in 10 ms over 8 ranks: algbw = 1073741824 / 0.01 / 1e9 = 107.374 GB/s
  // (GB = 1e9, as nccl-tests), busbw = 107.374 x 2*7/8 = 187.905 GB/s.
  EXPECT_NEAR(algbw_gb_s(1073741824, 0.010), 107.3741824, 1e-6);
  EXPECT_NEAR(busbw_gb_s(Collective::AllReduce, 1073741824, 0.010, 8), 187.9048192, 1e-6);
  // All-gather of S = 64 MiB total over 4 ranks in 1 ms: 67.109 GB/s algbw, x 3/4 = 50.332 busbw.
  EXPECT_NEAR(busbw_gb_s(Collective::AllGather, 67108864, 1e-3, 4), 50.331648, 1e-6);
  // Broadcast and reduce move the array S once from or to the root: busbw = algbw whatever n.
  // 64 MiB in 2 ms: 67108864 / 0.002 / 1e9 = 33.554432 GB/s, both columns, on 2 or 8 ranks.
  for (int64_t n : {2, 8}) {
    EXPECT_NEAR(busbw_gb_s(Collective::Broadcast, 67108864, 2e-3, n), 33.554432, 1e-9);
    EXPECT_NEAR(busbw_gb_s(Collective::Reduce, 67108864, 2e-3, n), 33.554432, 1e-9);
  }
  EXPECT_EQ(algbw_gb_s(1024, 0), 0.0);  // no time measured: no bandwidth, not infinity
}

TEST(CommBandwidth, BufferCountsSplitWholeArrayPerRank) {
  // S is the whole array (PERFORMANCE.md): all-gather's input is S/n per rank, its output S.
  auto ag = buffer_counts(Collective::AllGather, 1000, 3, 2);  // 500 bf16 -> 166 per rank
  EXPECT_EQ(ag.count, 498);
  EXPECT_EQ(ag.size_bytes, 996);
  EXPECT_EQ(ag.send_count, 166);
  EXPECT_EQ(ag.recv_count, 498);
  auto rs = buffer_counts(Collective::ReduceScatter, 1000, 3, 2);
  EXPECT_EQ(rs.send_count, 498);
  EXPECT_EQ(rs.recv_count, 166);
  auto a2a = buffer_counts(Collective::AllToAll, 4096, 4, 4);
  EXPECT_EQ(a2a.send_count, 1024);
  EXPECT_EQ(a2a.recv_count, 1024);
  auto ar = buffer_counts(Collective::AllReduce, 1000, 3, 4);  // no split: 250 fp32
  EXPECT_EQ(ar.send_count, 250);
  EXPECT_EQ(ar.size_bytes, 1000);
  // Broadcast and reduce: the whole array in and out on every rank, no rounding to n pieces.
  for (Collective c : {Collective::Broadcast, Collective::Reduce}) {
    auto whole = buffer_counts(c, 1002, 4, 2);
    EXPECT_EQ(whole.count, 501);
    EXPECT_EQ(whole.send_count, 501);
    EXPECT_EQ(whole.recv_count, 501);
    EXPECT_EQ(whole.size_bytes, 1002);
  }
  auto tiny = buffer_counts(Collective::AllGather, 2, 4, 2);   // at least one element per rank
  EXPECT_EQ(tiny.count, 4);
  EXPECT_EQ(tiny.size_bytes, 8);
}

TEST(CommBandwidth, ParsesSizesLikeNcclTests) {
  EXPECT_EQ(parse_size_bytes("64", "-b"), 64);
  EXPECT_EQ(parse_size_bytes("64K", "-b"), 65536);        // nccl-tests: K = 1024
  EXPECT_EQ(parse_size_bytes("8G", "-e"), 8589934592LL);
  EXPECT_EQ(parse_size_bytes("8GB", "-e"), 8589934592LL);
  EXPECT_EQ(parse_size_bytes("1.5M", "-e"), 1572864);
  const auto sweep = parse_size_list("8:8G:2", "--sizes");  // 8 B, 16 B, ..., 8 GiB = 2^3 .. 2^33
  ASSERT_EQ(sweep.size(), 31u);
  EXPECT_EQ(sweep.front(), 8);
  EXPECT_EQ(sweep.back(), 8589934592LL);
  EXPECT_EQ(parse_size_list("1M,16M", "--sizes"), (std::vector<int64_t>{1048576, 16777216}));
  EXPECT_EQ(parse_size_list("1K:1M:32", "--sizes"), (std::vector<int64_t>{1024, 32768, 1048576}));
  EXPECT_THROW(parse_size_bytes("abc", "-b"), UsageError);
  EXPECT_THROW(parse_size_bytes("-8", "-b"), UsageError);
  EXPECT_THROW(parse_size_bytes("8X", "-b"), UsageError);
  EXPECT_THROW(parse_size_list("8M:4M", "--sizes"), UsageError);
  EXPECT_THROW(parse_size_list("8:8G:1", "--sizes"), UsageError);
  EXPECT_THROW(parse_size_list("1M,,2M", "--sizes"), UsageError);  // an empty entry is a typo
  EXPECT_THROW(parse_collective("allreduc", "--op"), UsageError);
  EXPECT_EQ(parse_collective("reducescatter", "--op"), Collective::ReduceScatter);
  EXPECT_EQ(parse_collective("broadcast", "--op"), Collective::Broadcast);
  EXPECT_EQ(parse_collective("reduce", "--op"), Collective::Reduce);
}

}  // namespace
}  // namespace tb::comm
