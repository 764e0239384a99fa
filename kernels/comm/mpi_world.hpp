#pragma once
// The MPI world (OpenMPI from Debian): MPI_COMM_WORLD, initialised on construction and
// finalised on destruction. Only built when MPI is found (TB_COMM_HAVE_MPI).
#include <mpi.h>

#include "kernels/comm/world.hpp"

namespace tb::kernels::comm {

class MpiWorld final : public World {
 public:
  MpiWorld();
  ~MpiWorld() override;
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  std::string host() const override { return host_; }
  std::string mpi_version() const override { return version_; }
  bool is_mpi() const override { return true; }
  void barrier() override;
  void broadcast(void* data, size_t bytes, int root) override;
  double sum(double value) override;
  double max(double value) override;
  std::vector<std::string> gather(const std::string& mine) override;
  [[noreturn]] void abort(int exit_code) override;
  MPI_Comm comm() const { return MPI_COMM_WORLD; }

 private:
  int rank_ = 0, size_ = 1, local_rank_ = 0;
  bool finalize_ = false;
  std::string host_, version_;
};

}  // namespace tb::kernels::comm
