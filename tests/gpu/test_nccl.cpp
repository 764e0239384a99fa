// NCCL collectives on one GPU: a 1-rank communicator without MPI (what plain `trainbench comm`
// runs on a single-GPU machine). Every collective's output is checked, a planted error caught,
// and a timed launch is positive. Skips, saying why, without a GPU or without NCCL.
#include <gtest/gtest.h>

#include "harness/comm/collective.hpp"
#include "harness/comm/collective_data.hpp"
#include "kernels/comm/collective_backend.hpp"
#include "kernels/comm/implementations.hpp"

namespace tb::kernels::comm {
namespace {

TEST(NcclGpu, OneRankCollectivesAreCheckedAndTimed) {
  std::string why;
  if (!nccl_usable(&why)) GTEST_SKIP() << "NCCL cannot run here: " << why;
  auto world = make_single_world();
  auto backend = make_collective_backend("nccl", *world);
  const CommDevice device = backend->device();
  EXPECT_EQ(device.backend, "nccl");
  EXPECT_TRUE(device.device_memory);
  EXPECT_NE(device.library_version.find("NCCL"), std::string::npos);
  for (DType dtype : {DType::BF16, DType::FP32}) {
    for (tb::comm::Collective c : tb::comm::measured_collectives()) {
      SCOPED_TRACE(std::string(tb::comm::to_string(c)) + " " + to_string(dtype));
      const auto counts = tb::comm::buffer_counts(c, 1 << 20, 1, tb::comm::comm_element_bytes(dtype));
      auto run = backend->prepare(c, counts, dtype);
      const auto ok = run->run_and_check(false);
      EXPECT_EQ(ok.wrong, 0) << ok.first_wrong;
      EXPECT_EQ(ok.checked, counts.recv_count);
      EXPECT_GT(run->time_ms(5), 0.0);
      EXPECT_GE(run->run_and_check(true).wrong, 1);  // the planted error is found
    }
  }
}

TEST(NcclGpu, AllReduceOfOneGibibyteFitsAndVerifies) {
  std::string why;
  if (!nccl_usable(&why)) GTEST_SKIP() << "NCCL cannot run here: " << why;
  auto world = make_single_world();
  auto backend = make_collective_backend("nccl", *world);
  const auto counts = tb::comm::buffer_counts(tb::comm::Collective::AllReduce, 1LL << 30, 1, 2);
  auto run = backend->prepare(tb::comm::Collective::AllReduce, counts, DType::BF16);
  EXPECT_EQ(run->run_and_check(false).wrong, 0);
  EXPECT_DOUBLE_EQ(run->bytes_allocated(), 2.0 * (1LL << 30));
}

}  // namespace
}  // namespace tb::kernels::comm
