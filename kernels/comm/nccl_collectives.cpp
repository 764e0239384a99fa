// NCCL collectives on device buffers, one process per GPU (nccl-tests' -g 1 layout): the
// process takes GPU local_rank mod device count, rank 0's ncclUniqueId reaches the others over
// the World (MPI), and ncclCommInitRank joins them under a deadline (init_communicator). A single
// process runs a 1-rank communicator without MPI. Host code only: inputs are filled on the host and copied, outputs copied back
// to be checked, so no .cu file is needed. NCCL is loaded at run time (kernels/cuda/nccl_loader).
// Compiled, not run, on machines without a GPU.
#include <cuda_runtime.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "kernels/cuda/nccl_loader.hpp"

#include "harness/common/errors.hpp"
#include "kernels/comm/collective_backend.hpp"
#include "kernels/comm/implementations.hpp"
#include "kernels/comm/settle.hpp"

namespace tb::kernels::comm {

using tb::comm::BufferCounts;
using tb::comm::Collective;

namespace {

const tb::kernels::cuda::NcclApi& api() {
  std::string why;
  const auto* a = tb::kernels::cuda::nccl_api(&why);
  if (!a) throw RuntimeError(why);
  return *a;
}

void cuda_check(cudaError_t rc, const char* what) {
  if (rc == cudaSuccess) return;
  cudaGetLastError();  // clears a non-sticky error, so that a later launch check does not blame itself for it
  if (rc == cudaErrorMemoryAllocation)
    throw RuntimeError(fmt::format("{}: out of device memory ({})", what, cudaGetErrorString(rc)));
  throw RuntimeError(fmt::format("{} failed: {}", what, cudaGetErrorString(rc)));
}

// NCCL's own detail (ncclGetLastError, NCCL >= 2.13) says why, where the code alone says little.
void nccl_check(ncclResult_t rc, const char* what, ncclComm_t comm = nullptr) {
  if (rc == ncclSuccess) return;
  const auto& a = api();
  const char* detail = a.GetLastError ? a.GetLastError(comm) : nullptr;
  throw RuntimeError(fmt::format("{} failed: {}{}{}; NCCL_DEBUG=WARN says more", what, a.GetErrorString(rc),
                                 detail && *detail ? ": " : "", detail ? detail : ""));
}

// How long a rank waits on its peers (a communicator forming, a call or a collective completing)
// before it gives up and aborts the communicator.
constexpr auto kPeerTimeout = std::chrono::minutes(5);

Progress progress_of(ncclComm_t comm, ncclResult_t* state) {
  nccl_check(api().CommGetAsyncError(comm, state), "ncclCommGetAsyncError", comm);
  return *state == ncclInProgress ? Progress::Pending : *state == ncclSuccess ? Progress::Done : Progress::Failed;
}

// Polls `query` (a Progress) every 50 us until it settles or kPeerTimeout passes; on a failure
// (`state` holds NCCL's code) or a timeout it aborts the communicator, which frees it (`aborted`
// tells its owner), and throws, naming `what` and what the rank was `waiting_on`.
template <typename Query>
void wait_on_peers(Query query, const ncclResult_t& state, const char* what, ncclComm_t comm, bool& aborted,
                   const std::string& waiting_on) {
  const Settled s = settle(query, kPeerTimeout, [] { std::this_thread::sleep_for(std::chrono::microseconds(50)); },
                           [] { return std::chrono::steady_clock::now(); });
  if (s.state == Progress::Done) return;
  const char* detail = api().GetLastError ? api().GetLastError(comm) : nullptr;  // before the abort frees it
  const std::string why =
      s.state == Progress::Failed
          ? fmt::format("{} failed: {}{}{}; NCCL_DEBUG=WARN says more", what, api().GetErrorString(state),
                        detail && *detail ? ": " : "", detail ? detail : "")
          : fmt::format("{}: no progress in {} minutes {}", what,
                        std::chrono::duration_cast<std::chrono::minutes>(kPeerTimeout).count(), waiting_on);
  api().CommAbort(comm);
  aborted = true;
  throw RuntimeError(why + "; communicator aborted");
}

// ncclGroupEnd on every path: a send or receive that throws inside the group would otherwise leave
// this thread in group mode, queueing every later NCCL call (the destroy included) into it.
class NcclGroup {
 public:
  explicit NcclGroup(ncclComm_t comm) : comm_(comm) { nccl_check(api().GroupStart(), "ncclGroupStart", comm_); }
  void end() {
    open_ = false;
    nccl_check(api().GroupEnd(), "ncclGroupEnd", comm_);
  }
  ~NcclGroup() {
    if (open_) api().GroupEnd();  // its result adds nothing to the error already in flight
  }
  NcclGroup(const NcclGroup&) = delete;
  NcclGroup& operator=(const NcclGroup&) = delete;

 private:
  ncclComm_t comm_;
  bool open_ = true;
};

// Device memory and events owned on every path, a throwing constructor included.
struct DeviceMemory {
  void* ptr = nullptr;
  explicit DeviceMemory(size_t bytes, const char* what) {
    if (bytes == 0) return;  // an in-place run's unused send buffer
    cuda_check(cudaMalloc(&ptr, bytes), fmt::format("cudaMalloc ({}, {} bytes)", what, bytes).c_str());
  }
  ~DeviceMemory() { cudaFree(ptr); }
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;
};
struct Event {
  cudaEvent_t e = nullptr;
  Event() { cuda_check(cudaEventCreate(&e), "cudaEventCreate"); }
  ~Event() { cudaEventDestroy(e); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

// Waits for `done` without hanging on a dead peer: NCCL reports a failed or aborted
// communicator asynchronously (ncclCommGetAsyncError), and a collective whose peer is gone never
// completes, so the wait polls both (the NCCL docs' pattern).
void wait_for(cudaEvent_t done, ncclComm_t comm, bool& aborted, const char* what) {
  ncclResult_t state = ncclSuccess;
  wait_on_peers(
      [&] {
        const cudaError_t q = cudaEventQuery(done);
        if (q == cudaSuccess) return Progress::Done;
        if (q != cudaErrorNotReady) cuda_check(q, what);
        return progress_of(comm, &state) == Progress::Failed ? Progress::Failed : Progress::Pending;
      },
      state, what, comm, aborted, "(a rank gone or the network down)");
}

class NcclRun final : public CollectiveRun {
 public:
  // In place (Placement::InPlace) one buffer, recv_, holds the input and receives the output, as
  // nccl-tests places them: all-gather's input at rank x sendcount, reduce-scatter's output at
  // rank x recvcount, the others' both at its start.
  NcclRun(ncclComm_t comm, bool& aborted, cudaStream_t stream, int rank, int ranks, Collective c,
          const BufferCounts& counts, DType dtype, Placement placement)
      : comm_(comm), aborted_(aborted), stream_(stream), rank_(rank), ranks_(ranks), c_(c), counts_(counts), dtype_(dtype),
        in_place_(placement == Placement::InPlace), element_bytes_(tb::comm::comm_element_bytes(dtype)),
        send_bytes_(counts.send_count * element_bytes_), recv_bytes_(counts.recv_count * element_bytes_),
        buffer_bytes_(in_place_ ? std::max(send_bytes_, recv_bytes_) : recv_bytes_),
        send_(in_place_ ? 0 : send_bytes_, "send buffer"), recv_(buffer_bytes_, "receive buffer") {
    type_ = dtype == DType::BF16 ? ncclBfloat16 : ncclFloat32;
    load_input();
  }
  ~NcclRun() override {
    if (!aborted_) cudaStreamSynchronize(stream_);
  }

  void launch() override {
    const auto& nccl = api();
    void* send = input();
    void* recv = output();
    auto* in = static_cast<char*>(send);
    auto* out = static_cast<char*>(recv);
    switch (c_) {
      case Collective::AllReduce:
        nccl_check(nccl.AllReduce(send, recv, counts_.send_count, type_, ncclSum, comm_, stream_), "ncclAllReduce", comm_);
        break;
      case Collective::AllGather:
        nccl_check(nccl.AllGather(send, recv, counts_.send_count, type_, comm_, stream_), "ncclAllGather", comm_);
        break;
      case Collective::ReduceScatter:
        nccl_check(nccl.ReduceScatter(send, recv, counts_.recv_count, type_, ncclSum, comm_, stream_),
                   "ncclReduceScatter", comm_);
        break;
      case Collective::AllToAll: {
        // As nccl-tests: one grouped send and receive per peer, block r of the input to rank r.
        const size_t block = counts_.send_count / ranks_;
        const size_t block_bytes = block * element_bytes_;
        NcclGroup group(comm_);
        for (int peer = 0; peer < ranks_; ++peer) {
          nccl_check(nccl.Send(in + peer * block_bytes, block, type_, peer, comm_, stream_), "ncclSend", comm_);
          nccl_check(nccl.Recv(out + peer * block_bytes, block, type_, peer, comm_, stream_), "ncclRecv", comm_);
        }
        group.end();
        break;
      }
      case Collective::SendRecv: {
        NcclGroup group(comm_);
        nccl_check(nccl.Send(send, counts_.send_count, type_, (rank_ + 1) % ranks_, comm_, stream_), "ncclSend",
                   comm_);
        nccl_check(nccl.Recv(recv, counts_.recv_count, type_, (rank_ + ranks_ - 1) % ranks_, comm_, stream_),
                   "ncclRecv", comm_);
        group.end();
        break;
      }
      case Collective::Broadcast:
        // Out of place, as nccl-tests' broadcast_perf: the root's input lands in every rank's
        // output, the root's included.
        nccl_check(nccl.Broadcast(send, recv, counts_.send_count, type_, static_cast<int>(tb::comm::kRootRank), comm_,
                                  stream_),
                   "ncclBroadcast", comm_);
        break;
      case Collective::Reduce:
        nccl_check(nccl.Reduce(send, recv, counts_.send_count, type_, ncclSum, static_cast<int>(tb::comm::kRootRank),
                               comm_, stream_),
                   "ncclReduce", comm_);
        break;
    }
  }

  double time_ms(int iterations) override {
    cuda_check(cudaEventRecord(start_.e, stream_), "cudaEventRecord");
    for (int i = 0; i < iterations; ++i) launch();
    cuda_check(cudaEventRecord(stop_.e, stream_), "cudaEventRecord");
    wait_for(stop_.e, comm_, aborted_, "timed collectives");
    float ms = 0;
    cuda_check(cudaEventElapsedTime(&ms, start_.e, stop_.e), "cudaEventElapsedTime");
    return static_cast<double>(ms) / iterations;
  }

  tb::comm::CheckResult run_and_check(bool corrupt_for_testing) override {
    if (in_place_) load_input();  // the timed launches overwrote it
    else cuda_check(cudaMemsetAsync(recv_.ptr, 0, recv_bytes_, stream_), "cudaMemsetAsync");
    launch();
    cuda_check(cudaEventRecord(stop_.e, stream_), "cudaEventRecord");
    wait_for(stop_.e, comm_, aborted_, "checked collective");
    // A reduce's non-root in place holds its input, to be found unchanged: send_count elements.
    const bool own_input = in_place_ && c_ == Collective::Reduce && rank_ != tb::comm::kRootRank;
    std::vector<unsigned char> host(own_input ? send_bytes_ : recv_bytes_);
    cuda_check(cudaMemcpyAsync(host.data(), output(), host.size(), cudaMemcpyDeviceToHost, stream_),
               "cudaMemcpyAsync (outputs)");
    cuda_check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
    if (corrupt_for_testing && rank_ == 0 && !host.empty()) host[0] ^= 0x40;
    return in_place_ ? tb::comm::check_in_place_output(c_, rank_, ranks_, counts_, dtype_, host.data())
                     : tb::comm::check_output(c_, rank_, ranks_, counts_, dtype_, host.data());
  }

  double bytes_allocated() const override {
    return static_cast<double>((in_place_ ? 0 : send_bytes_) + buffer_bytes_);
  }

 private:
  char* input() const {
    if (!in_place_) return static_cast<char*>(send_.ptr);
    return static_cast<char*>(recv_.ptr) + (c_ == Collective::AllGather ? rank_ * send_bytes_ : 0);
  }
  char* output() const {
    return static_cast<char*>(recv_.ptr) + (in_place_ && c_ == Collective::ReduceScatter ? rank_ * recv_bytes_ : 0);
  }

  // The input, filled on the host; in place the buffer is cleared first. On our non-blocking
  // stream (the legacy one a plain cudaMemcpy uses does not order it), and waited for: `host` is
  // a local.
  void load_input() {
    std::vector<unsigned char> host(send_bytes_);
    tb::comm::fill_input(c_, rank_, counts_, dtype_, host.data());
    if (in_place_) cuda_check(cudaMemsetAsync(recv_.ptr, 0, buffer_bytes_, stream_), "cudaMemsetAsync");
    cuda_check(cudaMemcpyAsync(input(), host.data(), send_bytes_, cudaMemcpyHostToDevice, stream_),
               "cudaMemcpyAsync (inputs)");
    cuda_check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  }

  ncclComm_t comm_;
  bool& aborted_;  // the backend's: set once the communicator is aborted (freed)
  cudaStream_t stream_;
  int rank_, ranks_;
  Collective c_;
  BufferCounts counts_;
  DType dtype_;
  bool in_place_;
  ncclDataType_t type_ = ncclFloat32;
  size_t element_bytes_ = 0, send_bytes_ = 0, recv_bytes_ = 0, buffer_bytes_ = 0;
  DeviceMemory send_, recv_;
  Event start_, stop_;
};

class NcclBackend final : public CollectiveBackend {
 public:
  explicit NcclBackend(World& world) : world_(world) {
    const auto& nccl = api();
    int devices = 0;
    cuda_check(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
    device_ = world.local_rank() % devices;
    cuda_check(cudaSetDevice(device_), "cudaSetDevice");
    cuda_check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    try {
      ncclUniqueId id;
      if (world.rank() == 0) nccl_check(nccl.GetUniqueId(&id), "ncclGetUniqueId");
      world.broadcast(&id, sizeof id, 0);
      init_communicator(world, id);
    } catch (...) {
      cudaStreamDestroy(stream_);
      throw;
    }
    cudaDeviceProp prop{};
    cuda_check(cudaGetDeviceProperties(&prop, device_), "cudaGetDeviceProperties");
    device_name_ = prop.name;
    int driver = 0;
    cudaDriverGetVersion(&driver);
    driver_ = fmt::format("CUDA driver API {}.{}", driver / 1000, (driver % 1000) / 10);
    nccl_version_ = "NCCL " + tb::kernels::cuda::nccl_version_string();
  }
  ~NcclBackend() override {
    // An aborted communicator is already freed (ncclCommAbort), and its stream may hold its
    // unfinished kernels: neither is touched again.
    if (!aborted_) {
      cudaStreamSynchronize(stream_);
      api().CommDestroy(comm_);
    }
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

  // NCCL's all-to-all and send/recv are grouped sends and receives: from and into one buffer they
  // race, and nccl-tests, which times them in place, does not check them ("We don't support
  // in-place alltoall/sendrecv"). The rest NCCL documents in place.
  bool runs_in_place(Collective c) const override {
    return c != Collective::AllToAll && c != Collective::SendRecv;
  }

  std::unique_ptr<CollectiveRun> prepare(Collective c, const BufferCounts& counts, DType dtype,
                                         Placement placement) override {
    if (aborted_)
      throw RuntimeError("the NCCL communicator was aborted after an earlier failure; no further collective runs");
    if (placement == Placement::InPlace && !runs_in_place(c))
      throw RuntimeError(fmt::format("NCCL runs no checked in-place {}", tb::comm::to_string(c)));
    return std::make_unique<NcclRun>(comm_, aborted_, stream_, world_.rank(), world_.size(), c, counts, dtype,
                                     placement);
  }

 private:
  // ncclCommInitRank waits with no limit for every rank to join: a peer that died before it would
  // leave the others hanging. With several ranks it runs on a thread of its own and the rank waits
  // kPeerTimeout for it; past that it gives up, and the comm command's MPI_Abort ends the whole
  // job, the thread still inside NCCL included. The communicator stays blocking: a non-blocking
  // one (ncclCommInitRankConfig with blocking = 0) would answer ncclInProgress from every later
  // collective, whose polling would sit in the timed loop. One rank waits on nobody.
  void init_communicator(World& world, const ncclUniqueId& id) {
    const auto& nccl = api();
    if (world.size() == 1) {
      nccl_check(nccl.CommInitRank(&comm_, 1, id, 0), "ncclCommInitRank");
      return;
    }
    struct InitCall {  // shared with the thread, which outlives this frame if the wait gives up
      std::mutex m;
      std::condition_variable cv;
      bool done = false;
      ncclComm_t comm = nullptr;
      ncclResult_t rc = ncclSuccess;
      cudaError_t device_rc = cudaSuccess;
    };
    auto call = std::make_shared<InitCall>();
    std::thread([call, id, ranks = world.size(), rank = world.rank(), device = device_] {
      ncclComm_t comm = nullptr;
      ncclResult_t rc = ncclSuccess;
      const cudaError_t device_rc = cudaSetDevice(device);  // the current device is per thread
      if (device_rc == cudaSuccess) rc = api().CommInitRank(&comm, ranks, id, rank);
      const std::lock_guard lock(call->m);
      call->comm = comm;
      call->rc = rc;
      call->device_rc = device_rc;
      call->done = true;
      call->cv.notify_all();
    }).detach();
    std::unique_lock lock(call->m);
    if (!call->cv.wait_for(lock, kPeerTimeout, [&] { return call->done; }))
      throw RuntimeError(fmt::format(
          "ncclCommInitRank: rank {} of {} still waiting for the others to join after {} minutes (one died before "
          "joining, or cannot reach rank 0; NCCL_SOCKET_IFNAME picks the network)",
          world.rank(), world.size(), std::chrono::duration_cast<std::chrono::minutes>(kPeerTimeout).count()));
    cuda_check(call->device_rc, "cudaSetDevice (the NCCL init thread)");
    nccl_check(call->rc, "ncclCommInitRank");
    comm_ = call->comm;
  }

  World& world_;
  int device_ = 0;
  ncclComm_t comm_ = nullptr;
  bool aborted_ = false;  // ncclCommAbort freed comm_ (wait_for): never destroyed or used again
  cudaStream_t stream_ = nullptr;
  std::string device_name_, driver_, nccl_version_;
};

}  // namespace

bool nccl_usable(std::string* why_not) {
  if (!tb::kernels::cuda::nccl_api(why_not)) return false;
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
