// The layout search's ZeRO stage: unless --zero pins one, each layout takes the lowest of ZeRO-1,
// 2 and 3 that fits its memory, and the best says why; a pinned stage is kept; and where no
// stage fits any layout the answer is still none.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "harness/common/errors.hpp"
#include "harness/estimate/estimate_json.hpp"
#include "harness/estimate/layout_search.hpp"

namespace tb {
namespace {

std::string gib(double bytes) { return fmt::format("{:.1f} GiB", bytes / gib_to_bytes(1)); }

// GPT-3 XL on 8 H100s at tp 1 with a global batch of 8 sequences: pp 1 x dp 8 runs one
// micro-batch, so ZeRO-2's single reduce-scatter moves what ZeRO-1's does and, without a bubble,
// it is the fastest layout whenever it fits. The SKU's usable memory is set between that
// layout's ZeRO-2 and ZeRO-1 needs (the memory model's, each GPU's whole Adam state / 8 either
// way, the gradient / 8 only under ZeRO-2), so the search must move it to ZeRO-2.
struct XlOnEight {
  LayoutSearchRequest search;
  EstimateRequest at_pp1;  // tp 1 x pp 1 x dp 8, m = 1
  double zero1_bytes = 0, zero2_bytes = 0;
};

XlOnEight xl_on_eight() {
  XlOnEight x;
  LayoutSearchRequest& r = x.search;
  r.base.model = load_model("gpt3-xl");
  r.base.sku = load_sku("h100-sxm");
  r.base.mfu = 0.4;
  r.base.gpus = 8;
  r.global_batch = 8;
  r.measured_tp = 1;
  r.keep = 100;
  x.at_pp1 = r.base;
  x.at_pp1.gpus.reset();
  x.at_pp1.tp = 1;
  x.at_pp1.pp = 1;
  x.at_pp1.dp = 8;
  x.at_pp1.micro_batches = 1;
  auto peak = [&](int zero) {
    EstimateRequest q = x.at_pp1;
    q.zero_stage = zero;
    return estimate(q).memory->footprint.peak().total_bytes();
  };
  x.zero1_bytes = peak(1);
  x.zero2_bytes = peak(2);
  // The "fits" limit (90% of usable) halfway between the two.
  r.base.sku->usable_gib = (x.zero1_bytes + x.zero2_bytes) / 2 / kTightFraction / gib_to_bytes(1);
  return x;
}

TEST(LayoutSearchZero, MovesToZero2WhereZero1DoesNotFitAndSaysWhy) {
  const XlOnEight x = xl_on_eight();
  ASSERT_LT(x.zero2_bytes, x.zero1_bytes);
  const LayoutSearchResult s = search_layouts(x.search);
  ASSERT_FALSE(s.ranked.empty());
  EXPECT_FALSE(s.zero_stage_pinned.has_value());
  const LayoutChoice& best = s.ranked.front();
  EXPECT_EQ(*best.request.pp, 1) << layout_flags(best.request);
  EXPECT_EQ(*best.request.dp, 8) << layout_flags(best.request);
  EXPECT_EQ(best.request.zero_stage, 2) << layout_flags(best.request);
  EXPECT_DOUBLE_EQ(best.result.memory->footprint.peak().total_bytes(), x.zero2_bytes);
  // At m = 1 ZeRO-2 costs no time over ZeRO-1 (one reduce-scatter and one all-gather each).
  EstimateRequest at_zero1 = best.request;
  at_zero1.zero_stage = 1;
  EXPECT_DOUBLE_EQ(*estimate(at_zero1).wall_days, *best.result.wall_days);
  const double limit = kTightFraction * x.search.base.sku->capacity_gib();
  EXPECT_EQ(best.zero_reason,
            fmt::format("ZeRO-1 does not fit: {} > {} (90% of {}); ZeRO-2 fits at {}", gib(x.zero1_bytes),
                        gib(gib_to_bytes(limit)), x.search.base.sku->capacity_text(), gib(x.zero2_bytes)));
  // Every ranked layout took the lowest stage that fits it.
  for (const LayoutChoice& c : s.ranked) {
    if (c.request.zero_stage <= 1) continue;
    EstimateRequest lower = c.request;
    --lower.zero_stage;
    EXPECT_NE(estimate(lower).memory->fit->verdict, MemoryVerdict::Fits) << layout_flags(c.request);
  }
  // The JSON says the stage and the reason.
  const nlohmann::json j = to_json(s);
  EXPECT_EQ(j["ranked"][0]["zero_stage"], 2);
  EXPECT_EQ(j["ranked"][0]["zero_reason"], best.zero_reason);
  EXPECT_TRUE(j["zero_stage_pinned"].is_null());
}

TEST(LayoutSearchZero, APinnedStageIsKept) {
  XlOnEight x = xl_on_eight();
  const LayoutSearchResult free = search_layouts(x.search);
  ASSERT_FALSE(free.ranked.empty());
  // Pinned to ZeRO-1, pp 1 x dp 8 does not fit: the best is a slower layout, every one at ZeRO-1
  // (pinned, even where dp 1 leaves nothing to shard).
  x.search.zero_stage = 1;
  const LayoutSearchResult one = search_layouts(x.search);
  ASSERT_FALSE(one.ranked.empty());
  for (const LayoutChoice& c : one.ranked) {
    EXPECT_EQ(c.request.zero_stage, 1) << layout_flags(c.request);
    EXPECT_EQ(c.zero_reason, "ZeRO-1, as --zero pins it");
    EXPECT_FALSE(*c.request.pp == 1 && *c.request.dp == 8) << layout_flags(c.request);
  }
  EXPECT_GT(*one.ranked.front().result.wall_days, *free.ranked.front().result.wall_days);
  EXPECT_EQ(to_json(one)["zero_stage_pinned"], 1);
  // Pinned to ZeRO-3: every layout at ZeRO-3, though ZeRO-2 would fit some.
  x.search.zero_stage = 3;
  const LayoutSearchResult three = search_layouts(x.search);
  ASSERT_FALSE(three.ranked.empty());
  for (const LayoutChoice& c : three.ranked) EXPECT_EQ(c.request.zero_stage, 3) << layout_flags(c.request);
  EXPECT_GT(*three.ranked.front().result.wall_days, *free.ranked.front().result.wall_days);
  // ...and kept gathered where asked, which the flags carry.
  x.search.base.zero3_keep_gathered = true;
  const LayoutSearchResult kept = search_layouts(x.search);
  ASSERT_FALSE(kept.ranked.empty());
  EXPECT_TRUE(kept.ranked.front().request.zero3_keep_gathered);
  EXPECT_NE(layout_flags(kept.ranked.front().request).find("--zero 3 --zero3-keep-gathered"), std::string::npos);
  // Never unasked, and never beside another stage.
  x.search.zero_stage.reset();
  EXPECT_THROW(search_layouts(x.search), UsageError);
  x.search.zero_stage = 2;
  EXPECT_THROW(search_layouts(x.search), UsageError);
}

// Llama 3 405B's long-context stage (131,072 tokens, 128 sequences, 16,384 H100s at 38% MFU;
// docs/comm.md): at TP 8 x CP 16 without pipelining each GPU holds the whole model's tensor
// shard, which only ZeRO-3 shards far enough (ZeRO-1 252.4 GiB, ZeRO-2 158.0 GiB, ZeRO-3 63.5 of
// 79.65 usable); with one micro-batch per step ZeRO-3's three collectives cost less than a
// 16-stage bubble, so the search takes it over Meta's PP 16 (which needs ZeRO-2, --zero 2).
TEST(LayoutSearchZero, Llama3LongContextTakesZero3WithoutPipelining) {
  LayoutSearchRequest r;
  r.base.model = load_model("llama3-405b");
  r.base.sku = load_sku("h100-sxm");
  r.base.mfu = 0.38;
  r.base.gpus = 16384;
  r.base.seq_len = 131072;
  r.global_batch = 128;
  const LayoutSearchResult s = search_layouts(r);
  ASSERT_FALSE(s.ranked.empty());
  const LayoutChoice& best = s.ranked.front();
  EXPECT_EQ(*best.request.tp, 8) << layout_flags(best.request);
  EXPECT_EQ(best.request.cp, 16) << layout_flags(best.request);
  EXPECT_EQ(*best.request.pp, 1) << layout_flags(best.request);
  EXPECT_EQ(*best.request.dp, 128) << layout_flags(best.request);
  EXPECT_EQ(best.request.zero_stage, 3) << layout_flags(best.request);
  EXPECT_EQ(best.result.scaling->dp_all_gathers, 2);
  EXPECT_EQ(best.zero_reason.rfind("ZeRO-1 (252.4 GiB) and ZeRO-2 (158.0 GiB) do not fit: > 71.7 GiB (90% of 79.65 "
                                   "GiB usable of 80); ZeRO-3 fits at 63.5 GiB",
                                   0),
            0u)
      << best.zero_reason;
  EXPECT_NEAR(best.result.scaling->efficiency, 0.686, 0.001);
  EXPECT_NEAR(*best.result.wall_days, 242.5, 0.05);
}

// Where no stage fits any layout the answer is still none: GPT-3 175B's 2.79 TB of training state
// needs 33 H100s just to be held, sharded over all of them (ZeRO-3); 32 cannot, at any stage.
TEST(LayoutSearchZero, NothingFitsAtAnyStageIsStillNone) {
  LayoutSearchRequest r;
  r.base.model = load_model("gpt3-175b");
  r.base.sku = load_sku("h100-sxm");
  r.base.mfu = 0.4;
  r.base.gpus = 32;
  const LayoutSearchResult s = search_layouts(r);
  EXPECT_TRUE(s.ranked.empty());
  EXPECT_EQ(s.feasible, 0);
  EXPECT_GT(s.considered, 0);
  EXPECT_TRUE(to_json(s)["ranked"].empty());
}

}  // namespace
}  // namespace tb
