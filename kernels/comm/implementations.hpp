#pragma once
// Factories of the two implementations; only the ones the build has are defined.
#include <memory>

#include "kernels/comm/collective_backend.hpp"

namespace tb::kernels::comm {

std::unique_ptr<CollectiveBackend> make_mpi_backend(World& world);   // TB_COMM_HAVE_MPI
std::unique_ptr<CollectiveBackend> make_nccl_backend(World& world);  // TB_COMM_HAVE_NCCL
// Whether NCCL can run here: built with it and a CUDA device usable; `why_not` says otherwise.
bool nccl_usable(std::string* why_not);

}  // namespace tb::kernels::comm
