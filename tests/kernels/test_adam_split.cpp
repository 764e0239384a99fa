// The CUDA Adam kernel's split of n parameters into 16-byte packs and a scalar tail, and its grid
// (kernels/common/adam_split.hpp), run here as the kernel runs them: every parameter updated
// exactly once, for counts that are and are not multiples of 4, with grids small enough that
// threads stride and as large as one thread per pack.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/common/adam_split.hpp"

namespace tb::kernels {
namespace {

// Every thread of adamw_kernel's grid walks adam_thread_walk, as the kernel does. Returns how many
// times each parameter was updated.
std::vector<int> updates(int64_t n, int64_t threads, int64_t max_blocks) {
  const int64_t stride = adam_blocks(n, threads, max_blocks) * threads;
  std::vector<int> seen(static_cast<size_t>(n), 0);
  for (int64_t t = 0; t < stride; ++t)
    adam_thread_walk(
        n, t, stride,
        [&](int64_t q) {
          for (int64_t e = 0; e < 4; ++e) ++seen.at(static_cast<size_t>(4 * q + e));
        },
        [&](int64_t i) { ++seen.at(static_cast<size_t>(i)); });
  return seen;
}

TEST(AdamSplit, EveryParameterIsUpdatedOnceWhateverTheCount) {
  for (int64_t n = 1; n <= 300; ++n)
    for (auto [threads, max_blocks] : {std::pair<int64_t, int64_t>{4, 2}, {8, 1000}, {256, 1 << 20}}) {
      const std::vector<int> seen = updates(n, threads, max_blocks);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(seen[static_cast<size_t>(i)], 1) << "n " << n << " threads " << threads << " parameter " << i;
    }
}

TEST(AdamSplit, AMegatronChunkTakesThePackedPathForAllButItsLastTwo) {
  // 16,772,998 parameters (an Adam chunk of GPT-3 175B at tp 8, optimizer_step.cpp) = 4·4,193,249 + 2.
  const AdamSplit s = adam_split(16772998);
  EXPECT_EQ(s.packs, 4193249);
  EXPECT_EQ(s.tail_begin, 16772996);
  EXPECT_EQ(s.tail, 2);
  // One thread per pack: ceil(4,193,249 / 256) = 16,380 blocks, under the 2^20 cap.
  EXPECT_EQ(adam_blocks(16772998, 256, 1 << 20), 16380);
  EXPECT_EQ(adam_blocks(16772998, 256, 1000), 1000);
  // Fewer than 4 parameters: no pack, one block whose first threads take them.
  EXPECT_EQ(adam_split(3).packs, 0);
  EXPECT_EQ(adam_split(3).tail, 3);
  EXPECT_EQ(adam_blocks(3, 256, 1 << 20), 1);
  EXPECT_EQ(adam_split(8).tail, 0);
}

}  // namespace
}  // namespace tb::kernels
