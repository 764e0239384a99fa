// Parameter counts computed from the architecture against the published figures.
#include <gtest/gtest.h>

#include <cmath>

#include "harness/config/config_catalog.hpp"
#include "harness/model/model_config.hpp"
#include "harness/model/parameter_count.hpp"

namespace tb {
namespace {

TEST(ParameterCount, Gpt3_175bMatchesTheHandFormula) {
  // MISSION.md: per layer 12·d² + 13·d, plus V·d + s·d and a final layer norm (2·d).
  ModelConfig m = load_model("gpt3-175b");
  const double d = 12288, L = 96, V = 50257, s = 2048;
  const double expected = L * (12 * d * d + 13 * d) + V * d + s * d + 2 * d;
  EXPECT_DOUBLE_EQ(count_parameters(m).total, expected);
  EXPECT_NEAR(count_parameters(m).total / 1e9, 174.6, 0.05);
}

TEST(ParameterCount, Llama2_7bByHand) {
  // 32 × (4·d² attention + 3·d·f SwiGLU + 2·d RMSNorm) + 2·V·d untied + d final norm.
  ModelConfig m = load_model("llama2-7b");
  const double d = 4096, f = 11008, V = 32000;
  EXPECT_DOUBLE_EQ(count_parameters(m).total, 32 * (4 * d * d + 3 * d * f + 2 * d) + 2 * V * d + d);
}

TEST(ParameterCount, GroupedQueryAttentionShrinksKV) {
  ModelConfig m = load_model("llama3-8b");
  const double d = 4096, kv = 8 * 128;
  EXPECT_DOUBLE_EQ(count_parameters(m).attention_per_layer, 2 * d * d + 2 * d * kv);
}

TEST(ParameterCount, EveryModelWithin2PercentOfPublished) {
  for (const auto& name : config::available_names(config::ConfigKind::Model)) {
    ModelConfig m = load_model(name);
    ASSERT_TRUE(m.published_params) << name << " has no published.params to check against";
    const double computed = count_parameters(m).total;
    EXPECT_NEAR(computed / *m.published_params, 1.0, 0.02)
        << name << ": computed " << computed << " vs published " << *m.published_params;
  }
}

TEST(ParameterCount, AllNineteenModelsArePresent) {
  const char* required[] = {"gpt1", "gpt2-small", "gpt2-medium", "gpt2-large", "gpt2-xl",
                            "gpt3-small", "gpt3-medium", "gpt3-large", "gpt3-xl", "gpt3-2.7b",
                            "gpt3-6.7b", "gpt3-13b", "gpt3-175b", "llama2-7b", "llama2-13b",
                            "llama2-70b", "llama3-8b", "llama3-70b", "llama3-405b"};
  for (const char* name : required) EXPECT_NO_THROW(load_model(name)) << name;
}

TEST(ParameterCount, MatmulWeightsExcludeBiasesNormsAndPositions) {
  ModelConfig m = load_model("gpt3-175b");
  const double d = 12288, L = 96, V = 50257;
  EXPECT_DOUBLE_EQ(count_parameters(m).matmul_weights, L * 12 * d * d + V * d);
}

}  // namespace
}  // namespace tb

namespace tb {
// Table D.1's FLOPs column is its PF-days column x 8.64e19, each rounded to three digits: the two
// agree within 1% (a typed 2.31e21 for 2.31e22 would not), and the FLOPs printed are the table's.
TEST(PublishedCompute, TableD1FlopsAgreeWithItsPfDaysAndAreQuotedAsPrinted) {
  for (const char* name : {"gpt3-small", "gpt3-medium", "gpt3-large", "gpt3-xl", "gpt3-2.7b", "gpt3-6.7b", "gpt3-13b",
                           "gpt3-175b"}) {
    const ModelConfig m = load_model(name);
    ASSERT_TRUE(m.published_flops && m.published_pf_days) << name;
    EXPECT_NEAR(*m.published_flops / (*m.published_pf_days * 8.64e19), 1.0, 0.01) << name;
  }
  EXPECT_DOUBLE_EQ(*load_model("gpt3-13b").published_flops, 2.31e22);  // D.1; 268 x 8.64e19 = 2.3155e22
}
}  // namespace tb
