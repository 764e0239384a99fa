// A grouped (batched) GEMM in results files and comparisons: dims.batch written and read back,
// absent read as 1 (files from before batches), below 1 refused naming the field; and a batched
// GEMM never matched with the single GEMM of the same m, n, k.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "harness/common/errors.hpp"
#include "harness/compare/compatibility.hpp"
#include "harness/export/gbench_export.hpp"
#include "harness/results/results_io.hpp"
#include "harness/runner/measure_op.hpp"
#include "harness/workload/op.hpp"
#include "tests/support/every_field_results.hpp"
#include "tests/support/usage_message.hpp"

namespace tb {
namespace {

results::KernelResult described(int64_t batch) {
  results::KernelResult k = runner::describe_op(
      make_gemm_op("expert_up.fwd", {512, 28672, 4096, GemmLayout::Forward, batch}, DType::BF16));
  k.status = "skipped";  // unmeasured: the identity fields are what is under test
  return k;
}

results::RunResults with_kernel(const results::KernelResult& k) {
  results::RunResults r = testing::every_field();
  r.kernels = {k};
  r.kernels[0].status = "failed";  // every_field's run status; no timing to be consistent with
  r.step.reset();
  return r;
}

TEST(GroupedGemmResults, BatchIsWrittenInDimsAndReadBack) {
  const results::KernelResult k = described(8);
  EXPECT_EQ(k.dims.at("batch"), 8);
  EXPECT_EQ(k.shape, "8x 512x28672x4096 fwd");
  const nlohmann::json j = results::to_json(with_kernel(k));
  EXPECT_EQ(j.at("kernels")[0].at("dims").at("batch"), 8);
  const results::RunResults back = results::from_json(j, "t.json");
  EXPECT_EQ(results::gemm_batch(back.kernels[0]), 8);
  EXPECT_EQ(back.kernels[0].shape, k.shape);
}

TEST(GroupedGemmResults, AbsentBatchReadsAsOneAndBelowOneIsRefused) {
  nlohmann::json j = results::to_json(with_kernel(described(1)));
  j["kernels"][0]["dims"].erase("batch");
  EXPECT_EQ(results::gemm_batch(results::from_json(j, "old.json").kernels[0]), 1);
  j["kernels"][0]["dims"]["batch"] = 0;
  const std::string message = testing::message_of([&] { results::from_json(j, "bad.json"); });
  EXPECT_NE(message.find("kernels[0].dims.batch"), std::string::npos) << message;
  EXPECT_NE(message.find("at least 1"), std::string::npos) << message;
  // Attention's batch is its sequences, not a GEMM's groups.
  results::KernelResult attention;
  attention.kind = "attention_fwd";
  attention.dims = {{"batch", 4}};
  EXPECT_EQ(results::gemm_batch(attention), 1);
}

TEST(GroupedGemmResults, CompareKeepsBatchedAndSingleGemmsApart) {
  EXPECT_NE(compare::kernel_key(described(8)), compare::kernel_key(described(1)));
  EXPECT_NE(compare::kernel_key(described(8)), compare::kernel_key(described(2)));
  EXPECT_EQ(compare::kernel_key(described(8)), compare::kernel_key(described(8)));
  // Even where the shape text does not say it (a hand-made file), dims.batch keeps them apart.
  results::KernelResult bare = described(8), single = described(1);
  bare.shape = single.shape = "";
  EXPECT_NE(compare::kernel_key(bare), compare::kernel_key(single));
  // A single GEMM's key is that of files from before batches, which have no dims.batch.
  results::KernelResult old = described(1);
  old.dims.erase("batch");
  EXPECT_EQ(compare::kernel_key(old), compare::kernel_key(described(1)));
  // The gate refuses two files whose kernels differ only in batch, naming the kernel.
  const compare::LabeledResults a{"a.json", with_kernel(described(8))}, b{"b.json", with_kernel(described(1))};
  const std::string message = testing::message_of([&] { compare::require_same_shapes(a, b, {}); });
  EXPECT_NE(message.find("measured different kernels"), std::string::npos) << message;
  EXPECT_NE(message.find("8x 512x28672x4096 fwd"), std::string::npos) << message;
  EXPECT_NO_THROW(compare::require_same_shapes(a, a, {}));
}

TEST(GroupedGemmResults, ExportNamesSayTheBatch) {
  const results::RunResults r = with_kernel(described(8));
  const std::string batched = exporting::gbench_name(r, described(8)), single = exporting::gbench_name(r, described(1));
  EXPECT_NE(batched.find("/8x/512x28672x4096/fwd/"), std::string::npos) << batched;  // as the live output names it
  EXPECT_NE(batched, single);
}

}  // namespace
}  // namespace tb
