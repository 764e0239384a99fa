// Host-memory collectives over MPI (OpenMPI 4.1 from Debian): the same operations as NCCL's,
// on std::vector buffers. fp32 sums use MPI_FLOAT/MPI_SUM. MPI has no bf16 type, so bf16 is
// carried as MPI_UINT16_T with a user-defined, commutative sum that widens each pair to fp32,
// adds and rounds back to nearest-even — what NCCL does per reduction step.
#include <fmt/format.h>

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
  MpiRun(MpiWorld& world, Collective c, const BufferCounts& counts, DType dtype, MPI_Op bf16_op)
      : world_(world), c_(c), counts_(counts), dtype_(dtype) {
    const size_t e = tb::comm::comm_element_bytes(dtype);
    type_ = dtype == DType::BF16 ? MPI_UINT16_T : MPI_FLOAT;
    op_ = dtype == DType::BF16 ? bf16_op : MPI_SUM;
    send_.resize(counts.send_count * e);
    recv_.resize(counts.recv_count * e);
    tb::comm::fill_input(c, world.rank(), counts, dtype, send_.data());
  }

  void launch() override {
    MPI_Comm comm = world_.comm();
    const int n = world_.size(), r = world_.rank();
    switch (c_) {
      case Collective::AllReduce:
        check(MPI_Allreduce(send_.data(), recv_.data(), as_count(counts_.send_count, "allreduce"), type_, op_, comm),
              "MPI_Allreduce");
        break;
      case Collective::AllGather:
        check(MPI_Allgather(send_.data(), as_count(counts_.send_count, "allgather"), type_, recv_.data(),
                            as_count(counts_.send_count, "allgather"), type_, comm),
              "MPI_Allgather");
        break;
      case Collective::ReduceScatter:
        check(MPI_Reduce_scatter_block(send_.data(), recv_.data(), as_count(counts_.recv_count, "reducescatter"),
                                       type_, op_, comm),
              "MPI_Reduce_scatter_block");
        break;
      case Collective::AllToAll: {
        const int block = as_count(counts_.send_count / n, "alltoall");
        check(MPI_Alltoall(send_.data(), block, type_, recv_.data(), block, type_, comm), "MPI_Alltoall");
        break;
      }
      case Collective::SendRecv: {
        // nccl-tests' sendrecv: a ring, each rank sends to rank + 1 and receives from rank − 1.
        const int count = as_count(counts_.send_count, "sendrecv");
        check(MPI_Sendrecv(send_.data(), count, type_, (r + 1) % n, 0, recv_.data(), count, type_, (r + n - 1) % n, 0,
                           comm, MPI_STATUS_IGNORE),
              "MPI_Sendrecv");
        break;
      }
      case Collective::Broadcast:
        // MPI_Bcast works in place: the root's buffer is the source, so the root sends from its
        // input and the others receive into their output (output() below).
        check(MPI_Bcast(r == tb::comm::kRootRank ? send_.data() : recv_.data(), as_count(counts_.send_count, "broadcast"),
                        type_, static_cast<int>(tb::comm::kRootRank), comm),
              "MPI_Bcast");
        break;
      case Collective::Reduce:
        check(MPI_Reduce(send_.data(), recv_.data(), as_count(counts_.send_count, "reduce"), type_, op_,
                         static_cast<int>(tb::comm::kRootRank), comm),
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
    std::memset(recv_.data(), 0, recv_.size());
    launch();
    std::vector<unsigned char>& out = output();
    const bool corrupt = corrupt_for_testing && world_.rank() == 0 && !out.empty();
    if (corrupt) out[0] ^= 0x40;  // flips an exponent bit
    const auto result = tb::comm::check_output(c_, world_.rank(), world_.size(), counts_, dtype_, out.data());
    if (corrupt) out[0] ^= 0x40;  // the broadcast root's output is its input: later launches need it whole
    return result;
  }

  double bytes_allocated() const override { return static_cast<double>(send_.size() + recv_.size()); }

 private:
  // Where this rank's result lands: the broadcast root holds the data in the buffer it sent.
  std::vector<unsigned char>& output() {
    return c_ == Collective::Broadcast && world_.rank() == tb::comm::kRootRank ? send_ : recv_;
  }

  MpiWorld& world_;
  Collective c_;
  BufferCounts counts_;
  DType dtype_;
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

  std::unique_ptr<CollectiveRun> prepare(Collective c, const BufferCounts& counts, DType dtype) override {
    try {
      return std::make_unique<MpiRun>(world_, c, counts, dtype, bf16_op_);
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
