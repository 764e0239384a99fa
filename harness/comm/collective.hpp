#pragma once
// Collectives and their bandwidths exactly as nccl-tests defines them (doc/PERFORMANCE.md):
//   algbw = S / t, with S the size nccl-tests prints (bytes; GB = 1e9 bytes)
//   busbw = algbw × factor: all-reduce 2(n−1)/n; all-gather, reduce-scatter, all-to-all (n−1)/n;
//           broadcast, reduce, send/recv 1.
// S is the whole array: for all-gather recvcount·n·size, for reduce-scatter the input
// (recvcount·n·size), for all-to-all each rank's send buffer, for send/recv the bytes one rank
// sends. Pure functions, no MPI or CUDA.
#include <cstdint>
#include <string>
#include <vector>

namespace tb::comm {

enum class Collective { AllReduce, AllGather, ReduceScatter, AllToAll, SendRecv, Broadcast, Reduce };

const char* to_string(Collective c);  // "allreduce", "allgather", ... (the results' kind)
// Accepts the names above; refuses others naming `flag` and listing the accepted values.
Collective parse_collective(const std::string& text, const std::string& flag);
// The seven that `trainbench comm` runs and `--op all` means: nccl-tests' order for the first
// five, then broadcast and reduce (each its own binary there: broadcast_perf, reduce_perf).
const std::vector<Collective>& measured_collectives();

// The root of broadcast and reduce, as nccl-tests' default (-r 0).
constexpr int64_t kRootRank = 0;

// nccl-tests' bus-bandwidth correction factor for n ranks (0 for all-reduce on one rank: a
// single rank moves nothing over any link).
double busbw_factor(Collective c, int64_t ranks);

// GB/s with GB = 1e9 bytes, as nccl-tests prints.
double algbw_gb_s(double size_bytes, double seconds);
double busbw_gb_s(Collective c, double size_bytes, double seconds, int64_t ranks);

// Element counts of one rank's buffers for a collective of S bytes (nccl-tests'
// GetCollByteCount): the per-rank pieces of all-gather, reduce-scatter and all-to-all are S/n.
struct BufferCounts {
  int64_t size_bytes = 0;  // S after rounding down to a whole number of elements per rank
  int64_t count = 0;       // S / element size: nccl-tests' "count" column
  int64_t send_count = 0;  // elements in this rank's input buffer
  int64_t recv_count = 0;  // elements in this rank's output buffer
};
// Rounds S down so that every rank's piece is whole (at least one element per rank).
BufferCounts buffer_counts(Collective c, int64_t size_bytes, int64_t ranks, int element_bytes);

}  // namespace tb::comm
