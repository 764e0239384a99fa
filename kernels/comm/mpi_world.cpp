#include "kernels/comm/mpi_world.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "harness/common/errors.hpp"

namespace tb::kernels::comm {

namespace {
void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw RuntimeError(fmt::format("{} failed: {}", what, std::string(text, len)));
  }
}
}  // namespace

MpiWorld::MpiWorld() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SINGLE, &provided), "MPI_Init_thread");
    finalize_ = true;
  }
  // Errors come back as codes we turn into RuntimeErrors, not as an abort deep inside MPI.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm local;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local),
        "MPI_Comm_split_type");
  MPI_Comm_rank(local, &local_rank_);
  MPI_Comm_free(&local);
  char name[MPI_MAX_PROCESSOR_NAME];
  int len = 0;
  MPI_Get_processor_name(name, &len);
  host_.assign(name, len);
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  MPI_Get_library_version(version, &len);
  version_.assign(version, len);
  // "Open MPI v4.1.4, package: Debian OpenMPI, ident: ...": the name and version are enough.
  if (auto comma = version_.find(", "); comma != std::string::npos) version_.resize(comma);
  while (!version_.empty() && (version_.back() == '\n' || version_.back() == '\0')) version_.pop_back();
}

MpiWorld::~MpiWorld() {
  if (finalize_) MPI_Finalize();
}

void MpiWorld::barrier() { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

void MpiWorld::broadcast(void* data, size_t bytes, int root) {
  check(MPI_Bcast(data, static_cast<int>(bytes), MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
}

double MpiWorld::sum(double value) {
  double out = 0;
  check(MPI_Allreduce(&value, &out, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
  return out;
}

double MpiWorld::max(double value) {
  double out = 0;
  check(MPI_Allreduce(&value, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
  return out;
}

std::vector<std::string> MpiWorld::gather(const std::string& mine) {
  int length = static_cast<int>(mine.size());
  std::vector<int> lengths(rank_ == 0 ? size_ : 0), offsets(rank_ == 0 ? size_ : 0);
  check(MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
  std::string all;
  if (rank_ == 0) {
    int total = 0;
    for (int i = 0; i < size_; ++i) {
      offsets[i] = total;
      total += lengths[i];
    }
    all.resize(total);
  }
  check(MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0,
                    MPI_COMM_WORLD),
        "MPI_Gatherv");
  std::vector<std::string> out;
  for (int i = 0; rank_ == 0 && i < size_; ++i) out.push_back(all.substr(offsets[i], lengths[i]));
  return out;
}

void MpiWorld::abort(int exit_code) {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::exit(exit_code);
}

bool mpi_available() { return true; }

std::unique_ptr<World> make_world(bool want_mpi) {
  if (want_mpi || launched_by_mpi()) return std::make_unique<MpiWorld>();
  return make_single_world();
}

}  // namespace tb::kernels::comm
