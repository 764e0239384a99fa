// The shared attention tile math (kernels/common/attention_math.hpp) against brute force.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/common/attention_math.hpp"

namespace attn = tb::kernels::attn;

namespace {

// Direct log-sum-exp of natural-log scores.
double direct_lse(const std::vector<float>& x) {
  double mx = -INFINITY, sum = 0;
  for (float v : x) mx = std::max<double>(mx, v);
  for (float v : x) sum += std::exp(v - mx);
  return mx + std::log(sum);
}

}  // namespace

TEST(AttentionMath, OnlineSoftmaxInChunksEqualsDirectLse) {
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.f, 3.f);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<float> x(1 + rng() % 300);
    for (auto& v : x) v = dist(rng);
    attn::SoftmaxState st;
    size_t pos = 0;
    while (pos < x.size()) {  // random chunk sizes, as ragged tiles give
      const size_t n = std::min<size_t>(x.size() - pos, 1 + rng() % 40);
      float tile_max = -INFINITY;
      for (size_t c = 0; c < n; ++c) tile_max = attn::max_nan(tile_max, x[pos + c] * attn::kLog2e);
      attn::softmax_rescale(st, tile_max);
      for (size_t c = 0; c < n; ++c) st.sum += attn::exp2_shifted(x[pos + c] * attn::kLog2e, st.max_log2);
      pos += n;
    }
    EXPECT_NEAR(attn::lse_from_state(st), direct_lse(x), 1e-4 * (1 + std::abs(direct_lse(x))));
  }
}

TEST(AttentionMath, MergeOfTwoStatesEqualsStateOfUnion) {
  std::vector<float> a{1.f, -2.f, 7.f}, b{3.f, 9.f};
  auto state_of = [](const std::vector<float>& x) {
    attn::SoftmaxState s;
    float m = -INFINITY;
    for (float v : x) m = std::max(m, v * attn::kLog2e);
    attn::softmax_rescale(s, m);
    for (float v : x) s.sum += attn::exp2_shifted(v * attn::kLog2e, s.max_log2);
    return s;
  };
  std::vector<float> all = a;
  all.insert(all.end(), b.begin(), b.end());
  const auto merged = attn::softmax_merge(state_of(a), state_of(b));
  EXPECT_NEAR(attn::lse_from_state(merged), direct_lse(all), 1e-5);
  // Merging with an empty state (a fully masked partial) changes nothing, and makes no NaN.
  const auto with_empty = attn::softmax_merge(attn::SoftmaxState{}, state_of(a));
  EXPECT_NEAR(attn::lse_from_state(with_empty), direct_lse(a), 1e-5);
}

TEST(AttentionMath, FullyMaskedSoFarGivesZeroNotNan) {
  attn::SoftmaxState s;
  EXPECT_EQ(attn::softmax_rescale(s, -INFINITY), 0.f);
  EXPECT_EQ(attn::exp2_shifted(-INFINITY, s.max_log2), 0.f);
  EXPECT_EQ(s.sum, 0.f);
  EXPECT_EQ(attn::softmax_inv_sum(s), 0.f);
  EXPECT_TRUE(std::isinf(attn::lse_from_state(s)) && attn::lse_from_state(s) > 0);  // P recomputes to 0
  EXPECT_EQ(attn::prob_from_lse(3.f, attn::lse_to_log2(attn::lse_from_state(s))), 0.f);
}

TEST(AttentionMath, NanScorePoisonsTheRow) {
  attn::SoftmaxState s;
  attn::softmax_rescale(s, 1.f);
  attn::softmax_rescale(s, NAN);
  EXPECT_TRUE(std::isnan(s.max_log2) || std::isnan(s.sum));
  // ... to the end: the output's 1/sum and the saved LSE are NaN, so the backward's recomputed
  // P is NaN too (not exp2(x - inf) = 0, which would hide the fault as zero gradients).
  EXPECT_TRUE(std::isnan(attn::softmax_inv_sum(s)));
  EXPECT_TRUE(std::isnan(attn::lse_from_state(s)));
  EXPECT_TRUE(std::isnan(attn::prob_from_lse(3.f, attn::lse_to_log2(attn::lse_from_state(s)))));
  attn::SoftmaxState only_sum;
  only_sum.max_log2 = 2.f;
  only_sum.sum = NAN;
  EXPECT_TRUE(std::isnan(attn::lse_from_state(only_sum)));
}

TEST(AttentionMath, KeyTileRangesMatchBruteForce) {
  for (int64_t seq : {1, 7, 64, 77, 130, 257}) {
    for (int64_t bq : {16, 64, 128}) {
      for (int64_t bk : {16, 32, 64}) {
        for (bool causal : {false, true}) {
          for (int64_t qt = 0; qt < attn::num_tiles(seq, bq); ++qt) {
            // The last key tile holding a key that some row of this query tile sees.
            int64_t want_end = 0;
            for (int64_t i = qt * bq; i < std::min(seq, (qt + 1) * bq); ++i)
              for (int64_t j = 0; j < seq; ++j)
                if (attn::key_visible(i, j, seq, causal)) want_end = std::max(want_end, j / bk + 1);
            ASSERT_EQ(attn::key_tile_end(qt, bq, bk, seq, causal), want_end)
                << "seq " << seq << " bq " << bq << " bk " << bk << " causal " << causal << " qt " << qt;
            for (int64_t kt = 0; kt < want_end; ++kt) {
              if (attn::tile_needs_mask(qt * bq, kt * bk, bk, seq, causal)) continue;
              // Soundness: a tile that skips the mask has no invisible pair.
              for (int64_t i = qt * bq; i < std::min(seq, (qt + 1) * bq); ++i)
                for (int64_t j = kt * bk; j < (kt + 1) * bk; ++j) ASSERT_TRUE(attn::key_visible(i, j, seq, causal));
            }
          }
          for (int64_t kt = 0; kt < attn::num_tiles(seq, bk); ++kt) {
            int64_t want_begin = attn::num_tiles(seq, bq);
            for (int64_t i = 0; i < seq; ++i)
              for (int64_t j = kt * bk; j < std::min(seq, (kt + 1) * bk); ++j)
                if (attn::key_visible(i, j, seq, causal)) want_begin = std::min(want_begin, i / bq);
            ASSERT_EQ(attn::query_tile_begin(kt, bk, bq, causal), want_begin) << "seq " << seq << " kt " << kt;
          }
        }
      }
    }
  }
}

TEST(AttentionMath, RaggedEdgeAndMaskPredicates) {
  EXPECT_EQ(attn::tile_valid_rows(128, 64, 130), 2);
  EXPECT_EQ(attn::tile_valid_rows(64, 64, 130), 64);
  EXPECT_EQ(attn::tile_valid_rows(192, 64, 130), 0);
  EXPECT_TRUE(attn::tile_needs_mask(0, 64, 64, 77, false));   // ragged key tile
  EXPECT_FALSE(attn::tile_needs_mask(64, 0, 64, 128, true));  // strictly below the diagonal
  EXPECT_TRUE(attn::tile_needs_mask(0, 0, 64, 128, true));    // the diagonal tile
  EXPECT_FALSE(attn::key_visible(5, 6, 100, true));
  EXPECT_TRUE(attn::key_visible(5, 5, 100, true));
  EXPECT_FALSE(attn::key_visible(5, 100, 100, false));
}

TEST(AttentionMath, GroupedQueryHeadMap) {
  // 12 query heads over 4 K/V heads: heads 0-2 → 0, 3-5 → 1, ...
  for (int h = 0; h < 12; ++h) EXPECT_EQ(attn::kv_head_for(h, 12, 4), h / 3);
  for (int h = 0; h < 8; ++h) EXPECT_EQ(attn::kv_head_for(h, 8, 8), h);  // multi-head
  for (int h = 0; h < 8; ++h) EXPECT_EQ(attn::kv_head_for(h, 8, 1), 0);  // multi-query
}

TEST(AttentionMath, BackwardTermsKnownAnswers) {
  // P from the LSE: scores {0, ln 3} have LSE ln 4, so P = {1/4, 3/4}.
  const float lse = std::log(4.f);
  EXPECT_NEAR(attn::prob_from_lse(0.f, attn::lse_to_log2(lse)), 0.25f, 1e-6);
  EXPECT_NEAR(attn::prob_from_lse(std::log(3.f) * attn::kLog2e, attn::lse_to_log2(lse)), 0.75f, 1e-6);
  EXPECT_FLOAT_EQ(attn::dscore(0.5f, 3.f, 1.f), 1.f);
  const float a[3] = {1, 2, 3}, b[3] = {4, -5, 6};
  EXPECT_FLOAT_EQ(attn::rowsum_product(a, b, 3, [](float x) { return x; }), 12.f);
}

// The backward kernel's flattened loop meets every (query head of the group, visible query
// tile) pair once, head-major, exactly as the nested loops it replaced: causal and not, GQA
// groups of 1 and 4, a key block in the middle of a ragged sequence.
TEST(AttentionMath, BackwardStepsVisitEachHeadAndQueryTileOnce) {
  for (bool causal : {false, true})
    for (int64_t group : {1, 4}) {
      const int64_t seq = 300, block_k = 64, block_q = 32, k_tile = 2, first_head = 3 * group;
      const int64_t first_tile = attn::query_tile_begin(k_tile, block_k, block_q, causal);
      const int64_t tiles = attn::num_tiles(seq, block_q);
      std::vector<std::pair<int64_t, int64_t>> nested, flat;
      for (int64_t h = first_head; h < first_head + group; ++h)
        for (int64_t qt = first_tile; qt < tiles; ++qt) nested.emplace_back(h, qt);
      for (int64_t step = 0; step < group * (tiles - first_tile); ++step) {
        const attn::BackwardStep at = attn::backward_step(step, first_head, first_tile, tiles);
        flat.emplace_back(at.head, at.query_tile);
      }
      EXPECT_EQ(flat, nested) << "causal " << causal << " group " << group;
      EXPECT_EQ(first_tile, causal ? 4 : 0);  // keys 128..191 are seen from query tile 4 (rows 128..159)
    }
}
