// NCCL collectives on device buffers, one process per GPU (nccl-tests' -g 1 layout): the
// process takes GPU local_rank mod device count, rank 0's ncclUniqueId reaches the others over
// the World (MPI), and ncclCommInitRank joins them. A single process runs a 1-rank communicator
// without MPI. Host code only: inputs are filled on the host and copied, outputs copied back
// to be checked, so no .cu file is needed. Compiled, not run, on machines without a GPU.
#include <cuda_runtime.h>
#include <fmt/format.h>
#include <nccl.h>

#include <cstring>
#include <vector>

#include "harness/common/errors.hpp"
#include "kernels/comm/collective_backend.hpp"
#include "kernels/comm/implementations.hpp"

namespace tb::kernels::comm {

using tb::comm::BufferCounts;
using tb::comm::Collective;

namespace {

void cuda_check(cudaError_t rc, const char* what) {
  if (rc == cudaErrorMemoryAllocation)
    throw RuntimeError(fmt::format("{}: out of device memory", what));
  if (rc != cudaSuccess) throw RuntimeError(fmt::format("{} failed: {}", what, cudaGetErrorString(rc)));
}

void nccl_check(ncclResult_t rc, const char* what) {
  if (rc != ncclSuccess) throw RuntimeError(fmt::format("{} failed: {}", what, ncclGetErrorString(rc)));
}

class NcclRun final : public CollectiveRun {
 public:
  NcclRun(ncclComm_t comm, cudaStream_t stream, int rank, int ranks, Collective c, const BufferCounts& counts,
          DType dtype)
      : comm_(comm), stream_(stream), rank_(rank), ranks_(ranks), c_(c), counts_(counts), dtype_(dtype) {
    element_bytes_ = tb::comm::comm_element_bytes(dtype);
    type_ = dtype == DType::BF16 ? ncclBfloat16 : ncclFloat32;
    send_bytes_ = counts.send_count * element_bytes_;
    recv_bytes_ = counts.recv_count * element_bytes_;
    cuda_check(cudaMalloc(&send_, send_bytes_), "cudaMalloc (send buffer)");
    if (cudaMalloc(&recv_, recv_bytes_) != cudaSuccess) {
      cudaFree(send_);
      throw RuntimeError(fmt::format("cudaMalloc (receive buffer, {} bytes): out of device memory", recv_bytes_));
    }
    std::vector<unsigned char> host(send_bytes_);
    tb::comm::fill_input(c, rank, counts, dtype, host.data());
    cuda_check(cudaMemcpy(send_, host.data(), send_bytes_, cudaMemcpyHostToDevice), "cudaMemcpy (inputs)");
    cuda_check(cudaEventCreate(&start_), "cudaEventCreate");
    cuda_check(cudaEventCreate(&stop_), "cudaEventCreate");
  }
  ~NcclRun() override {
    cudaStreamSynchronize(stream_);
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
    cudaFree(send_);
    cudaFree(recv_);
  }

  void launch() override {
    auto* in = static_cast<char*>(send_);
    auto* out = static_cast<char*>(recv_);
    switch (c_) {
      case Collective::AllReduce:
        nccl_check(ncclAllReduce(send_, recv_, counts_.send_count, type_, ncclSum, comm_, stream_), "ncclAllReduce");
        break;
      case Collective::AllGather:
        nccl_check(ncclAllGather(send_, recv_, counts_.send_count, type_, comm_, stream_), "ncclAllGather");
        break;
      case Collective::ReduceScatter:
        nccl_check(ncclReduceScatter(send_, recv_, counts_.recv_count, type_, ncclSum, comm_, stream_),
                   "ncclReduceScatter");
        break;
      case Collective::AllToAll: {
        // As nccl-tests: one grouped send and receive per peer, block r of the input to rank r.
        const size_t block = counts_.send_count / ranks_;
        const size_t block_bytes = block * element_bytes_;
        nccl_check(ncclGroupStart(), "ncclGroupStart");
        for (int peer = 0; peer < ranks_; ++peer) {
          nccl_check(ncclSend(in + peer * block_bytes, block, type_, peer, comm_, stream_), "ncclSend");
          nccl_check(ncclRecv(out + peer * block_bytes, block, type_, peer, comm_, stream_), "ncclRecv");
        }
        nccl_check(ncclGroupEnd(), "ncclGroupEnd");
        break;
      }
      case Collective::SendRecv:
        nccl_check(ncclGroupStart(), "ncclGroupStart");
        nccl_check(ncclSend(send_, counts_.send_count, type_, (rank_ + 1) % ranks_, comm_, stream_), "ncclSend");
        nccl_check(ncclRecv(recv_, counts_.recv_count, type_, (rank_ + ranks_ - 1) % ranks_, comm_, stream_),
                   "ncclRecv");
        nccl_check(ncclGroupEnd(), "ncclGroupEnd");
        break;
      default:
        throw UsageError(fmt::format("--op {}: not implemented by the NCCL backend; accepted: allreduce, allgather, "
                                     "reducescatter, alltoall, sendrecv",
                                     tb::comm::to_string(c_)));
    }
  }

  double time_ms(int iterations) override {
    cuda_check(cudaEventRecord(start_, stream_), "cudaEventRecord");
    for (int i = 0; i < iterations; ++i) launch();
    cuda_check(cudaEventRecord(stop_, stream_), "cudaEventRecord");
    cuda_check(cudaEventSynchronize(stop_), "cudaEventSynchronize");
    float ms = 0;
    cuda_check(cudaEventElapsedTime(&ms, start_, stop_), "cudaEventElapsedTime");
    return static_cast<double>(ms) / iterations;
  }

  tb::comm::CheckResult run_and_check(bool corrupt_for_testing) override {
    cuda_check(cudaMemsetAsync(recv_, 0, recv_bytes_, stream_), "cudaMemsetAsync");
    launch();
    cuda_check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
    std::vector<unsigned char> host(recv_bytes_);
    cuda_check(cudaMemcpy(host.data(), recv_, recv_bytes_, cudaMemcpyDeviceToHost), "cudaMemcpy (outputs)");
    if (corrupt_for_testing && rank_ == 0 && !host.empty()) host[0] ^= 0x40;
    return tb::comm::check_output(c_, rank_, ranks_, counts_, dtype_, host.data());
  }

  double bytes_allocated() const override { return static_cast<double>(send_bytes_ + recv_bytes_); }

 private:
  ncclComm_t comm_;
  cudaStream_t stream_;
  int rank_, ranks_;
  Collective c_;
  BufferCounts counts_;
  DType dtype_;
  ncclDataType_t type_;
  size_t element_bytes_ = 0, send_bytes_ = 0, recv_bytes_ = 0;
  void* send_ = nullptr;
  void* recv_ = nullptr;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

class NcclBackend final : public CollectiveBackend {
 public:
  explicit NcclBackend(World& world) : world_(world) {
    int devices = 0;
    cuda_check(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
    device_ = world.local_rank() % devices;
    cuda_check(cudaSetDevice(device_), "cudaSetDevice");
    ncclUniqueId id;
    if (world.rank() == 0) nccl_check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    world.broadcast(&id, sizeof id, 0);
    nccl_check(ncclCommInitRank(&comm_, world.size(), id, world.rank()), "ncclCommInitRank");
    cuda_check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    cudaDeviceProp prop{};
    cuda_check(cudaGetDeviceProperties(&prop, device_), "cudaGetDeviceProperties");
    device_name_ = prop.name;
    int driver = 0, nccl = 0;
    cudaDriverGetVersion(&driver);
    driver_ = fmt::format("CUDA driver API {}.{}", driver / 1000, (driver % 1000) / 10);
    ncclGetVersion(&nccl);
    // NCCL >= 2.9 encodes major·10000 + minor·100 + patch.
    nccl_version_ = fmt::format("NCCL {}.{}.{}", nccl / 10000, (nccl % 10000) / 100, nccl % 100);
  }
  ~NcclBackend() override {
    cudaStreamSynchronize(stream_);
    ncclCommDestroy(comm_);
    cudaStreamDestroy(stream_);
  }

  CommDevice device() const override {
    CommDevice d;
    d.backend = "nccl";
    d.device_memory = true;
    d.device_name = device_name_;
    d.device_index = device_;
    d.driver_version = driver_;
    d.library_version = nccl_version_;
    return d;
  }

  std::unique_ptr<CollectiveRun> prepare(Collective c, const BufferCounts& counts, DType dtype) override {
    return std::make_unique<NcclRun>(comm_, stream_, world_.rank(), world_.size(), c, counts, dtype);
  }

 private:
  World& world_;
  int device_ = 0;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  std::string device_name_, driver_, nccl_version_;
};

}  // namespace

bool nccl_usable(std::string* why_not) {
  int devices = 0;
  const cudaError_t rc = cudaGetDeviceCount(&devices);
  if (rc != cudaSuccess || devices == 0) {
    if (why_not)
      *why_not = rc != cudaSuccess ? fmt::format("no usable GPU: {}", cudaGetErrorString(rc)) : "no CUDA device found";
    return false;
  }
  return true;
}

std::unique_ptr<CollectiveBackend> make_nccl_backend(World& world) { return std::make_unique<NcclBackend>(world); }

}  // namespace tb::kernels::comm
