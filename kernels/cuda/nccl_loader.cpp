#if TB_HAVE_NCCL
#include "kernels/cuda/nccl_loader.hpp"

#include <dlfcn.h>

#include <mutex>

#include "kernels/cuda/dynamic_symbol.hpp"

namespace tb::kernels::cuda {
namespace {

struct Loaded {
  NcclApi api;
  bool ok = false;
  std::string why_not;
};

// Every call the collectives make must be there (`missing` lists those that are not);
// GetLastError is a later addition, read if present.
template <typename Fn>
void bind_required(void* lib, const char* name, Fn& fn, std::string& missing) {
  if (!bind_symbol(lib, name, fn)) missing += (missing.empty() ? "" : ", ") + std::string(name);
}

Loaded load() {
  Loaded l;
  void* lib = dlopen("libnccl.so.2", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* err = dlerror();
    l.why_not = std::string("NCCL not found (libnccl.so.2: ") + (err ? err : "dlopen failed") +
                "); install libnccl2 or put PyTorch's nvidia/nccl/lib on LD_LIBRARY_PATH";
    return l;
  }
  NcclApi& a = l.api;
  std::string missing;
  bind_required(lib, "ncclGetVersion", a.GetVersion, missing);
  bind_required(lib, "ncclGetUniqueId", a.GetUniqueId, missing);
  bind_required(lib, "ncclCommInitRank", a.CommInitRank, missing);
  bind_required(lib, "ncclCommDestroy", a.CommDestroy, missing);
  bind_required(lib, "ncclCommAbort", a.CommAbort, missing);
  bind_required(lib, "ncclCommGetAsyncError", a.CommGetAsyncError, missing);
  bind_required(lib, "ncclAllReduce", a.AllReduce, missing);
  bind_required(lib, "ncclAllGather", a.AllGather, missing);
  bind_required(lib, "ncclReduceScatter", a.ReduceScatter, missing);
  bind_required(lib, "ncclBroadcast", a.Broadcast, missing);
  bind_required(lib, "ncclReduce", a.Reduce, missing);
  bind_required(lib, "ncclSend", a.Send, missing);
  bind_required(lib, "ncclRecv", a.Recv, missing);
  bind_required(lib, "ncclGroupStart", a.GroupStart, missing);
  bind_required(lib, "ncclGroupEnd", a.GroupEnd, missing);
  bind_required(lib, "ncclGetErrorString", a.GetErrorString, missing);
  bind_symbol(lib, "ncclGetLastError", a.GetLastError);
  if (!missing.empty()) {
    l.why_not = "libnccl.so.2 lacks " + missing + " (NCCL too old)";
    return l;
  }
  if (a.GetVersion(&a.version) != ncclSuccess || a.version < 21000) {
    l.why_not = "NCCL " + std::to_string(a.version) + " is older than 2.10, which bf16 collectives need";
    return l;
  }
  l.ok = true;
  return l;  // the library stays loaded for the life of the process
}

}  // namespace

const NcclApi* nccl_api(std::string* why_not) {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = load(); });
  if (!loaded.ok && why_not) *why_not = loaded.why_not;
  return loaded.ok ? &loaded.api : nullptr;
}

std::string nccl_version_string() {
  const NcclApi* a = nccl_api();
  if (!a) return "";
  return std::to_string(a->version / 10000) + "." + std::to_string((a->version % 10000) / 100) + "." +
         std::to_string(a->version % 100);
}

}  // namespace tb::kernels::cuda
#endif  // TB_HAVE_NCCL
