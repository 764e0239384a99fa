#include "harness/comm/collective.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "harness/common/errors.hpp"

namespace tb::comm {

const char* to_string(Collective c) {
  switch (c) {
    case Collective::AllReduce: return "allreduce";
    case Collective::AllGather: return "allgather";
    case Collective::ReduceScatter: return "reducescatter";
    case Collective::AllToAll: return "alltoall";
    case Collective::SendRecv: return "sendrecv";
    case Collective::Broadcast: return "broadcast";
    case Collective::Reduce: return "reduce";
  }
  return "?";
}

Collective parse_collective(const std::string& text, const std::string& flag) {
  for (Collective c : {Collective::AllReduce, Collective::AllGather, Collective::ReduceScatter, Collective::AllToAll,
                       Collective::SendRecv, Collective::Broadcast, Collective::Reduce}) {
    if (text == to_string(c)) return c;
  }
  throw UsageError(fmt::format("{}: unknown collective '{}'; accepted values: allreduce, allgather, reducescatter, "
                               "alltoall, sendrecv, broadcast, reduce",
                               flag, text));
}

const std::vector<Collective>& measured_collectives() {
  static const std::vector<Collective> all = {Collective::AllReduce, Collective::AllGather, Collective::ReduceScatter,
                                              Collective::AllToAll, Collective::SendRecv, Collective::Broadcast,
                                              Collective::Reduce};
  return all;
}

double busbw_factor(Collective c, int64_t ranks) {
  if (ranks < 1) throw UsageError(fmt::format("rank count must be >= 1 (got {})", ranks));
  const double n = static_cast<double>(ranks);
  switch (c) {
    case Collective::AllReduce: return 2.0 * (n - 1.0) / n;
    case Collective::AllGather:
    case Collective::ReduceScatter:
    case Collective::AllToAll: return (n - 1.0) / n;
    case Collective::SendRecv:
    case Collective::Broadcast:
    case Collective::Reduce: return 1.0;
  }
  return 1.0;
}

double algbw_gb_s(double size_bytes, double seconds) { return seconds > 0 ? size_bytes / seconds / 1e9 : 0.0; }

double busbw_gb_s(Collective c, double size_bytes, double seconds, int64_t ranks) {
  return algbw_gb_s(size_bytes, seconds) * busbw_factor(c, ranks);
}

BufferCounts buffer_counts(Collective c, int64_t size_bytes, int64_t ranks, int element_bytes) {
  if (ranks < 1) throw UsageError(fmt::format("rank count must be >= 1 (got {})", ranks));
  if (element_bytes < 1) throw UsageError(fmt::format("element size must be >= 1 byte (got {})", element_bytes));
  if (size_bytes < 0) throw UsageError(fmt::format("message size must be >= 0 bytes (got {})", size_bytes));
  BufferCounts b;
  const bool split = c == Collective::AllGather || c == Collective::ReduceScatter || c == Collective::AllToAll;
  int64_t count = size_bytes / element_bytes;
  if (split) count = std::max<int64_t>(count / ranks, 1) * ranks;  // whole pieces, >= 1 element each
  count = std::max<int64_t>(count, 1);
  b.count = count;
  b.size_bytes = count * element_bytes;
  switch (c) {
    case Collective::AllGather:
      b.send_count = count / ranks;
      b.recv_count = count;
      break;
    case Collective::ReduceScatter:
      b.send_count = count;
      b.recv_count = count / ranks;
      break;
    default:
      b.send_count = count;
      b.recv_count = count;
      break;
  }
  return b;
}

}  // namespace tb::comm
