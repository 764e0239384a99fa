// The block reduction of the memory-bound CUDA kernels (memdev::block_reduce), emulated on the
// host through the same phase step (blockred::tree_phase): 256 threads each fold a strided
// share of a row, then the tree merges their states. Checked against fp64 row statistics, and
// the emulation's premise — the threads of one phase may run in any order — checked by running
// them forwards and backwards and getting identical bits.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/common/block_tree_reduce.hpp"
#include "kernels/common/memory_ops_math.hpp"

namespace blockred = tb::kernels::blockred;
namespace memops = tb::kernels::memops;

namespace {

constexpr int kThreads = 256;  // memdev::kRowThreads

enum class Order { Forward, Backward };

template <typename S>
S emulate_block_reduce(std::vector<S> partial, Order order) {
  for (int stride = kThreads / 2; stride > 0; stride /= 2)  // one iteration per barrier phase
    for (int i = 0; i < kThreads; ++i) blockred::tree_phase(partial.data(), order == Order::Forward ? i : kThreads - 1 - i, stride);
  return partial[0];
}

// Thread t folds elements t, t + 256, ... as the CUDA row kernels do.
template <typename S>
std::vector<S> per_thread_states(const std::vector<float>& row) {
  std::vector<S> states(kThreads);
  for (size_t j = 0; j < row.size(); ++j) update(states[j % kThreads], row[j]);
  return states;
}

std::vector<float> random_row(size_t n, uint32_t seed, float mean, float spread) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(mean, spread);
  std::vector<float> row(n);
  for (auto& x : row) x = dist(rng);
  return row;
}

template <typename S>
bool same_bits(const S& a, const S& b) {
  return std::memcmp(&a, &b, sizeof(S)) == 0;
}

}  // namespace

TEST(BlockTreeReduce, MeanAndVarianceOfARowMatchFp64) {
  // Lengths below, at and above the block size, ragged too; an offset mean stresses Welford.
  for (size_t n : {size_t{1}, size_t{100}, size_t{256}, size_t{1000}, size_t{12288}}) {
    const auto row = random_row(n, static_cast<uint32_t>(n), 3.0f, 2.0f);
    const auto states = per_thread_states<memops::MeanVar>(row);
    const memops::MeanVar total = emulate_block_reduce(states, Order::Forward);

    double mean = 0, m2 = 0;
    for (float x : row) mean += x;
    mean /= static_cast<double>(n);
    for (float x : row) m2 += (x - mean) * (x - mean);
    EXPECT_EQ(total.count, static_cast<float>(n));
    EXPECT_NEAR(total.mean, mean, 1e-5 * (1 + std::abs(mean))) << "n = " << n;
    EXPECT_NEAR(total.m2 / static_cast<double>(n), m2 / static_cast<double>(n), 1e-4) << "n = " << n;
    EXPECT_TRUE(same_bits(total, emulate_block_reduce(states, Order::Backward)));
  }
}

TEST(BlockTreeReduce, OnlineSoftmaxOfARowMatchesFp64) {
  for (size_t n : {size_t{3}, size_t{256}, size_t{50257}}) {
    const auto row = random_row(n, 7 + static_cast<uint32_t>(n), 0.0f, 4.0f);
    const auto states = per_thread_states<memops::OnlineSoftmax>(row);
    const memops::OnlineSoftmax total = emulate_block_reduce(states, Order::Forward);

    double mx = -INFINITY, sum = 0;
    for (float x : row) mx = std::max(mx, static_cast<double>(x));
    for (float x : row) sum += std::exp(x - mx);
    EXPECT_EQ(total.max, static_cast<float>(mx));
    EXPECT_NEAR(total.sum, sum, 1e-5 * sum) << "n = " << n;
    // log-sum-exp, what the cross-entropy kernel uses
    EXPECT_NEAR(std::log(total.sum) + total.max, std::log(sum) + mx, 1e-5) << "n = " << n;
    EXPECT_TRUE(same_bits(total, emulate_block_reduce(states, Order::Backward)));
  }
}

// The phase step touches only its two slots: a thread at or above the stride changes nothing.
TEST(BlockTreeReduce, PhaseStepWritesOnlyBelowTheStride) {
  std::vector<memops::MeanVar> partial(kThreads);
  for (int t = 0; t < kThreads; ++t) memops::update(partial[static_cast<size_t>(t)], static_cast<float>(t));
  const auto before = partial;
  for (int t = 64; t < kThreads; ++t) blockred::tree_phase(partial.data(), t, 64);
  for (int t = 0; t < kThreads; ++t) EXPECT_TRUE(same_bits(partial[static_cast<size_t>(t)], before[static_cast<size_t>(t)]));
  blockred::tree_phase(partial.data(), 5, 64);
  EXPECT_EQ(partial[5].count, 2.0f);
  EXPECT_EQ(partial[5].mean, (5.0f + 69.0f) / 2);
  EXPECT_TRUE(same_bits(partial[69], before[69]));
}

TEST(BlockTreeReduce, BlockSizeMustBeAPowerOfTwo) {
  EXPECT_TRUE(blockred::is_power_of_two(256));
  EXPECT_TRUE(blockred::is_power_of_two(1));
  EXPECT_FALSE(blockred::is_power_of_two(0));
  EXPECT_FALSE(blockred::is_power_of_two(192));
}
