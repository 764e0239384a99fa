#pragma once
// NCCL loaded at run time (dlopen of libnccl.so.2), not linked: a machine without NCCL still runs
// every other command, `comm --backend auto` can fall back to MPI saying why, and the library
// the device has (PyTorch's wheel, say) is used whatever version the build machine had. Types and
// enums come from nccl.h (a build-time header only); the calls go through these pointers.
// Built where nccl.h is found (TB_HAVE_NCCL).
#include <nccl.h>

#include <string>

namespace tb::kernels::cuda {

struct NcclApi {
  ncclResult_t (*GetVersion)(int*) = nullptr;
  ncclResult_t (*GetUniqueId)(ncclUniqueId*) = nullptr;
  ncclResult_t (*CommInitRank)(ncclComm_t*, int, ncclUniqueId, int) = nullptr;
  ncclResult_t (*CommDestroy)(ncclComm_t) = nullptr;
  ncclResult_t (*CommAbort)(ncclComm_t) = nullptr;
  ncclResult_t (*CommGetAsyncError)(ncclComm_t, ncclResult_t*) = nullptr;
  ncclResult_t (*AllReduce)(const void*, void*, size_t, ncclDataType_t, ncclRedOp_t, ncclComm_t, cudaStream_t) = nullptr;
  ncclResult_t (*AllGather)(const void*, void*, size_t, ncclDataType_t, ncclComm_t, cudaStream_t) = nullptr;
  ncclResult_t (*ReduceScatter)(const void*, void*, size_t, ncclDataType_t, ncclRedOp_t, ncclComm_t,
                                cudaStream_t) = nullptr;
  ncclResult_t (*Broadcast)(const void*, void*, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t) = nullptr;
  ncclResult_t (*Reduce)(const void*, void*, size_t, ncclDataType_t, ncclRedOp_t, int, ncclComm_t,
                         cudaStream_t) = nullptr;
  ncclResult_t (*Send)(const void*, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t) = nullptr;
  ncclResult_t (*Recv)(void*, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t) = nullptr;
  ncclResult_t (*GroupStart)() = nullptr;
  ncclResult_t (*GroupEnd)() = nullptr;
  const char* (*GetErrorString)(ncclResult_t) = nullptr;
  const char* (*GetLastError)(ncclComm_t) = nullptr;  // optional (NCCL >= 2.13): the detail behind a failure
  int version = 0;                                     // MAJOR·10000 + MINOR·100 + PATCH (NCCL >= 2.9)
};

// The loaded API, or nullptr with the reason in *why_not (no libnccl.so.2 on the loader's path, a
// required symbol missing, or an NCCL older than 2.10, which has no bf16). Loaded once.
const NcclApi* nccl_api(std::string* why_not = nullptr);

// "2.28.9", or "" when NCCL cannot be loaded.
std::string nccl_version_string();

}  // namespace tb::kernels::cuda
