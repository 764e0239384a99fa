// Host-memory collectives over MPI (OpenMPI 4.1 from Debian): the same operations as NCCL's,
// on std::vector buffers. fp32 sums use MPI_FLOAT/MPI_SUM. MPI has no bf16 type, so bf16 is
// carried as MPI_UINT16_T with a user-defined, commutative sum that widens each pair to fp32,
// adds and rounds back to nearest-even — what NCCL does per reduction step. In place (nccl-tests'
// in-place columns) every collective takes MPI_IN_PLACE, or MPI_Sendrecv_replace for send/recv.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "harness/common/errors.hpp"
#include "kernels/comm/collective_backend.hpp"
#include "kernels/comm/implementations.hpp"
#include "kernels/comm/mpi_world.hpp"

namespace tb::kernels::comm {

using tb::comm::BufferCounts;
using tb::comm::Collective;

namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw RuntimeError(fmt::format("{} failed: {}", what, std::string(text, len)));
  }
}

void bf16_sum(void* in, void* inout, int* len, MPI_Datatype*) {
  const auto* a = static_cast<const uint16_t*>(in);
  auto* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *len; ++i)
    b[i] = tb::comm::bf16_from_float(tb::comm::float_from_bf16(a[i]) + tb::comm::float_from_bf16(b[i]));
}

// MPI counts are int: refuse what does not fit rather than wrap.
int as_count(int64_t n, const char* what) {
  if (n > INT32_MAX)
    throw UsageError(fmt::format("{}: {} elements exceed MPI's int count; use a smaller size with --backend mpi", what,
                                 n));
  return static_cast<int>(n);
}

class MpiRun final : public CollectiveRun {
 public:
  MpiRun(MpiWorld& world, Collective c, const BufferCounts& counts, DType dtype, MPI_Op bf16_op, Placement placement)
      : world_(world), c_(c), counts_(counts), dtype_(dtype), in_place_(placement == Placement::InPlace) {
    element_ = tb::comm::comm_element_bytes(dtype);
    type_ = dtype == DType::BF16 ? MPI_UINT16_T : MPI_FLOAT;
    op_ = dtype == DType::BF16 ? bf16_op : MPI_SUM;
    // In place, one buffer (recv_) holds the input and receives the output: MPI_IN_PLACE.
    if (!in_place_) send_.resize(counts.send_count * element_);
    recv_.resize(std::max(counts.send_count, counts.recv_count) * element_);
    load_input();
  }

  void launch() override {
    MPI_Comm comm = world_.comm();
    const int n = world_.size(), r = world_.rank();
    const bool root = r == tb::comm::kRootRank;
    // In place every rank's input is recv_ (all-gather's own piece at rank x count in it).
    const void* in = in_place_ ? MPI_IN_PLACE : send_.data();
    void* out = recv_.data();
    switch (c_) {
      case Collective::AllReduce:
        check(MPI_Allreduce(in, out, as_count(counts_.send_count, "allreduce"), type_, op_, comm), "MPI_Allreduce");
        break;
      case Collective::AllGather: {
        const int count = as_count(counts_.send_count, "allgather");
        check(MPI_Allgather(in, in_place_ ? 0 : count, in_place_ ? MPI_DATATYPE_NULL : type_, out, count, type_, comm),
              "MPI_Allgather");
        break;
      }
      case Collective::ReduceScatter:
        // In place the input is the whole of recv_, and MPI leaves each rank's piece at its start.
        check(MPI_Reduce_scatter_block(in, out, as_count(counts_.recv_count, "reducescatter"), type_, op_, comm),
              "MPI_Reduce_scatter_block");
        break;
      case Collective::AllToAll: {
        const int block = as_count(counts_.send_count / n, "alltoall");
        check(MPI_Alltoall(in, in_place_ ? 0 : block, in_place_ ? MPI_DATATYPE_NULL : type_, out, block, type_, comm),
              "MPI_Alltoall");
        break;
      }
      case Collective::SendRecv: {
        // nccl-tests' sendrecv: a ring, each rank sends to rank + 1 and receives from rank − 1.
        const int count = as_count(counts_.send_count, "sendrecv");
        if (in_place_)
          check(MPI_Sendrecv_replace(out, count, type_, (r + 1) % n, 0, (r + n - 1) % n, 0, comm, MPI_STATUS_IGNORE),
                "MPI_Sendrecv_replace");
        else
          check(MPI_Sendrecv(send_.data(), count, type_, (r + 1) % n, 0, out, count, type_, (r + n - 1) % n, 0, comm,
                             MPI_STATUS_IGNORE),
                "MPI_Sendrecv");
        break;
      }
      case Collective::Broadcast:
        // MPI_Bcast works in place: the root's buffer is the source. Out of place the root sends
        // from its input and the others receive into their output (output() below); in place all
        // use recv_, the root's holding its input.
        check(MPI_Bcast(root && !in_place_ ? send_.data() : out, as_count(counts_.send_count, "broadcast"), type_,
                        static_cast<int>(tb::comm::kRootRank), comm),
              "MPI_Bcast");
        break;
      case Collective::Reduce:
        // MPI_IN_PLACE is the root's alone; another rank in place sends its buffer, untouched.
        check(MPI_Reduce(in_place_ && !root ? static_cast<const void*>(out) : in, root || !in_place_ ? out : nullptr,
                         as_count(counts_.send_count, "reduce"), type_, op_, static_cast<int>(tb::comm::kRootRank),
                         comm),
              "MPI_Reduce");
        break;
    }
  }

  double time_ms(int iterations) override {
    const double start = MPI_Wtime();
    for (int i = 0; i < iterations; ++i) launch();
    return (MPI_Wtime() - start) * 1e3 / iterations;
  }

  tb::comm::CheckResult run_and_check(bool corrupt_for_testing) override {
    if (in_place_) load_input();  // the timed launches overwrote it
    else std::memset(recv_.data(), 0, recv_.size());
    launch();
    std::vector<unsigned char>& out = output();
    const bool corrupt = corrupt_for_testing && world_.rank() == 0 && !out.empty();
    if (corrupt) out[0] ^= 0x40;  // flips an exponent bit
    const int rank = world_.rank(), ranks = world_.size();
    const auto result = in_place_ ? tb::comm::check_in_place_output(c_, rank, ranks, counts_, dtype_, out.data())
                                  : tb::comm::check_output(c_, rank, ranks, counts_, dtype_, out.data());
    if (corrupt) out[0] ^= 0x40;  // the broadcast root's output is its input: later launches need it whole
    return result;
  }

  double bytes_allocated() const override { return static_cast<double>(send_.size() + recv_.size()); }

 private:
  // Out of place the input fills send_; in place recv_, cleared first, at the input's offset.
  void load_input() {
    if (!in_place_) {
      tb::comm::fill_input(c_, world_.rank(), counts_, dtype_, send_.data());
      return;
    }
    std::memset(recv_.data(), 0, recv_.size());
    const size_t offset = c_ == Collective::AllGather ? world_.rank() * counts_.send_count * element_ : 0;
    tb::comm::fill_input(c_, world_.rank(), counts_, dtype_, recv_.data() + offset);
  }

  // Where this rank's result lands: the broadcast root holds the data in the buffer it sent.
  std::vector<unsigned char>& output() {
    return !in_place_ && c_ == Collective::Broadcast && world_.rank() == tb::comm::kRootRank ? send_ : recv_;
  }

  MpiWorld& world_;
  Collective c_;
  BufferCounts counts_;
  DType dtype_;
  bool in_place_;
  size_t element_ = 0;
  MPI_Datatype type_;
  MPI_Op op_;
  std::vector<unsigned char> send_, recv_;
};

class MpiBackend final : public CollectiveBackend {
 public:
  explicit MpiBackend(MpiWorld& world) : world_(world) {
    check(MPI_Op_create(&bf16_sum, /*commute=*/1, &bf16_op_), "MPI_Op_create");
  }
  ~MpiBackend() override { MPI_Op_free(&bf16_op_); }

  CommDevice device() const override {
    CommDevice d;
    d.backend = "mpi";
    d.device_memory = false;
    d.device_name = "host memory (CPU)";
    d.library_version = world_.mpi_version();
    return d;
  }

  // MPI_IN_PLACE serves every collective here (MPI_Sendrecv_replace for send/recv).
  bool runs_in_place(Collective) const override { return true; }

  std::unique_ptr<CollectiveRun> prepare(Collective c, const BufferCounts& counts, DType dtype,
                                         Placement placement) override {
    try {
      return std::make_unique<MpiRun>(world_, c, counts, dtype, bf16_op_, placement);
    } catch (const std::bad_alloc&) {
      throw RuntimeError(fmt::format("{} of {} bytes: out of host memory", tb::comm::to_string(c), counts.size_bytes));
    }
  }

 private:
  MpiWorld& world_;
  MPI_Op bf16_op_ = MPI_OP_NULL;
};

}  // namespace

std::unique_ptr<CollectiveBackend> make_mpi_backend(World& world) {
  auto* mpi = dynamic_cast<MpiWorld*>(&world);
  if (!mpi) throw RuntimeError("--backend mpi needs the MPI world (internal: a single-process world was made)");
  return std::make_unique<MpiBackend>(*mpi);
}

}  // namespace tb::kernels::comm
