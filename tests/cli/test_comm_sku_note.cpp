// `trainbench comm`'s SKU note (cli/comm_sku_note.hpp): the GPU its rank runs on, picked by its
// CUDA index, gets the note run, gemm and health print, in their words (runner::sku_note), where
// its name matches no SKU config or only a variant's; host-memory collectives get none. The GPUs
// are named here: this machine has none, and the MPI path that runs here never has one.
#include <gtest/gtest.h>

#include "cli/comm_sku_note.hpp"
#include "harness/runner/machine_info.hpp"

namespace tb::cli {
namespace {

kernels::DeviceInfo gpu(int index, const std::string& name, double memory_gb, const std::string& matched) {
  kernels::DeviceInfo d;
  d.backend = "cuda";
  d.index = index;
  d.name = name;
  d.memory_gb = memory_gb;
  d.matched_sku = matched;
  return d;
}

kernels::comm::CommDevice nccl_on(int index) {
  kernels::comm::CommDevice d;
  d.backend = "nccl";
  d.device_memory = true;
  d.device_index = index;
  return d;
}

const std::vector<kernels::DeviceInfo> kGpus = {gpu(0, "NVIDIA H200", 139.8, "h200"),
                                                gpu(1, "NVIDIA H200 NVL", 139.8, "")};

TEST(CommSkuNote, TheRanksOwnGpuIsJudgedInRunsWords) {
  const std::string nvl = comm_sku_note(nccl_on(1), kGpus);
  EXPECT_EQ(nvl.rfind("trainbench: note: no SKU config matches the device name \"NVIDIA H200 NVL\" exactly", 0), 0u)
      << nvl;
  EXPECT_EQ(nvl, runner::sku_note(kGpus[1], ""));  // one function, one wording, for every command
  EXPECT_EQ(nvl.back(), '\n');
  // The matched GPU beside it says nothing: the note is of the rank's own device, not of any.
  EXPECT_EQ(comm_sku_note(nccl_on(0), kGpus), "");
  ASSERT_TRUE(comm_gpu(nccl_on(1), kGpus));
  EXPECT_EQ(comm_gpu(nccl_on(1), kGpus)->name, "NVIDIA H200 NVL");
}

TEST(CommSkuNote, HostMemoryCollectivesHaveNoGpuToNote) {
  kernels::comm::CommDevice mpi;
  mpi.backend = "mpi";
  mpi.device_name = "host memory (CPU)";
  mpi.device_index = 1;  // even an index that names an unmatched GPU: the buffers are not on it
  EXPECT_FALSE(comm_gpu(mpi, kGpus));
  EXPECT_EQ(comm_sku_note(mpi, kGpus), "");
  // A device index CUDA does not list (the GPU gone between the two queries): no note, no crash.
  EXPECT_FALSE(comm_gpu(nccl_on(5), kGpus));
  EXPECT_EQ(comm_sku_note(nccl_on(5), kGpus), "");
}

}  // namespace
}  // namespace tb::cli
