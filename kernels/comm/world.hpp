#pragma once
// The processes of one `trainbench comm` job and the little host-side agreement they need:
// barrier, broadcast (NCCL's unique id, the timing clock), sums and maxima (samples, #wrong),
// and gathering every rank's metadata at rank 0. MPI when launched by mpirun/srun (or asked
// for); a single process otherwise, so one GPU runs NCCL with one rank and no MPI at all.
#include <memory>
#include <string>
#include <vector>

namespace tb::kernels::comm {

class World {
 public:
  virtual ~World() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual int local_rank() const = 0;   // among the ranks on this host: picks the GPU
  virtual std::string host() const = 0;
  virtual std::string mpi_version() const = 0;  // "" without MPI
  virtual bool is_mpi() const = 0;
  virtual void barrier() = 0;
  virtual void broadcast(void* data, size_t bytes, int root) = 0;
  virtual double sum(double value) = 0;
  virtual double max(double value) = 0;
  // Every rank's string at rank 0, in rank order; other ranks get an empty vector.
  virtual std::vector<std::string> gather(const std::string& mine) = 0;
  // Ends the whole job: one rank's error must not leave the others waiting in a collective.
  [[noreturn]] virtual void abort(int exit_code) = 0;
};

// True when mpirun/srun started this process (OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK, or a
// multi-task srun step).
bool launched_by_mpi();
// How many ranks the launcher started (OMPI_COMM_WORLD_SIZE, PMI_SIZE, MV2_COMM_WORLD_SIZE, or a
// srun step's tasks); 1 when no launcher says.
int launched_world_size();
// Whether this trainbench was built with MPI.
bool mpi_available();

// MPI when `want_mpi` or launched_by_mpi(); a RuntimeError when that needs MPI and the build has
// none. Otherwise a single-process world.
std::unique_ptr<World> make_world(bool want_mpi);
std::unique_ptr<World> make_single_world();

}  // namespace tb::kernels::comm
