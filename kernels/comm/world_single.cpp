// A job of one process: every agreement is the identity.
#include <unistd.h>

#include <cstdlib>
#include <fmt/format.h>

#include "harness/common/errors.hpp"
#include "kernels/comm/world.hpp"

namespace tb::kernels::comm {

namespace {

class SingleWorld final : public World {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  std::string host() const override {
    char name[256] = {0};
    ::gethostname(name, sizeof name - 1);
    return name;
  }
  std::string mpi_version() const override { return ""; }
  bool is_mpi() const override { return false; }
  void barrier() override {}
  void broadcast(void*, size_t, int) override {}
  double sum(double value) override { return value; }
  double max(double value) override { return value; }
  std::vector<std::string> gather(const std::string& mine) override { return {mine}; }
  [[noreturn]] void abort(int exit_code) override { std::exit(exit_code); }
};

}  // namespace

bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE"})
    if (std::getenv(var)) return true;
  // srun without an MPI launcher variable: a step of several tasks.
  const char* tasks = std::getenv("SLURM_STEP_NUM_TASKS");
  return std::getenv("SLURM_PROCID") && tasks && std::atoi(tasks) > 1;
}

int launched_world_size() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"})
    if (const char* size = std::getenv(var); size && std::atoi(size) > 0) return std::atoi(size);
  const char* tasks = std::getenv("SLURM_STEP_NUM_TASKS");
  if (std::getenv("SLURM_PROCID") && tasks && std::atoi(tasks) > 0) return std::atoi(tasks);
  return 1;
}

std::unique_ptr<World> make_single_world() { return std::make_unique<SingleWorld>(); }

#if !TB_COMM_HAVE_MPI
bool mpi_available() { return false; }

std::unique_ptr<World> make_world(bool want_mpi) {
  if (want_mpi || launched_by_mpi())
    throw RuntimeError(want_mpi ? "--backend mpi: this trainbench was built without MPI (install libopenmpi-dev and "
                                  "reconfigure with -DTB_ENABLE_MPI=ON)"
                                : "started by mpirun/srun, but this trainbench was built without MPI: every process "
                                  "would run alone; install libopenmpi-dev and reconfigure with -DTB_ENABLE_MPI=ON");
  return make_single_world();
}
#endif

}  // namespace tb::kernels::comm
