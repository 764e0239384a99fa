#include <fmt/format.h>

#include "harness/common/errors.hpp"
#include "kernels/comm/collective_backend.hpp"
#include "kernels/comm/implementations.hpp"

namespace tb::kernels::comm {

std::vector<std::string> built_collective_backends() {
  std::vector<std::string> names;
#if TB_COMM_HAVE_NCCL
  names.push_back("nccl");
#endif
#if TB_COMM_HAVE_MPI
  names.push_back("mpi");
#endif
  return names;
}

#if !TB_COMM_HAVE_NCCL
bool nccl_usable(std::string* why_not) {
  if (why_not) *why_not = "this trainbench was built without NCCL (needs CUDA and libnccl at configure time)";
  return false;
}
std::unique_ptr<CollectiveBackend> make_nccl_backend(World&) {
  throw RuntimeError("--backend nccl: this trainbench was built without NCCL (needs CUDA and libnccl at configure time)");
}
#endif
#if !TB_COMM_HAVE_MPI
std::unique_ptr<CollectiveBackend> make_mpi_backend(World&) {
  throw RuntimeError("--backend mpi: this trainbench was built without MPI (install libopenmpi-dev, -DTB_ENABLE_MPI=ON)");
}
#endif

std::string resolve_backend_name(const std::string& name) {
  if (name == "mpi") {
    if (!mpi_available())
      throw RuntimeError("--backend mpi: this trainbench was built without MPI (install libopenmpi-dev, "
                         "-DTB_ENABLE_MPI=ON)");
    return name;
  }
  if (name == "nccl") {
    std::string why;
    if (!nccl_usable(&why)) throw RuntimeError(fmt::format("--backend nccl: {}", why));
    return name;
  }
  if (name == "auto") {
    if (nccl_usable(nullptr)) return "nccl";
    if (mpi_available()) return "mpi";
    std::string why;
    nccl_usable(&why);
    throw RuntimeError(fmt::format("--backend auto: no collective backend can run here: NCCL: {}; MPI: not built", why));
  }
  throw UsageError(fmt::format("--backend: unknown collective backend '{}'; accepted values: nccl, mpi, auto", name));
}

std::unique_ptr<CollectiveBackend> make_collective_backend(const std::string& name, World& world) {
  const std::string resolved = resolve_backend_name(name);
  return resolved == "nccl" ? make_nccl_backend(world) : make_mpi_backend(world);
}

}  // namespace tb::kernels::comm
