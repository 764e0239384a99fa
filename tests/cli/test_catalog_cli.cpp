// `trainbench models` and `skus` as a buyer reads them: PaLM's FLOPs per token and the training
// PF-days beside each model, the usable memory beside the nominal, each table's columns where
// its header puts them, and `--json` holding the same figures. Expected figures are computed
// here by hand from the papers' formulas and the configs' published shapes, not read back.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/cli_runner.hpp"

namespace tb::testing {
namespace {

using nlohmann::json;

const json* find_named(const json& list, const std::string& name) {
  for (const auto& e : list)
    if (e.at("name") == name) return &e;
  return nullptr;
}

// The cell of `row` under the right-aligned header cell `column` ("usable GiB"): from the end of
// the header cell before it to the end of this one, trimmed. Cells hold spaces ("174.60 B"), so
// splitting on them would not do.
std::string cell_under(const std::string& header, const std::string& row, const std::string& column) {
  size_t at = header.find(" " + column + " ");
  if (at == std::string::npos) return "(no column " + column + ")";
  ++at;
  const size_t end = at + column.size();
  size_t start = at;
  while (start > 0 && header[start - 1] == ' ') --start;
  if (row.size() < end) return "(row too short)";
  std::string cell = row.substr(start, end - start);
  cell.erase(0, cell.find_first_not_of(' '));
  return cell;
}

// GPT-3 175B (96 layers, d 12288, vocabulary 50257, context 2048): matmul weights 96·12·d² + V·d
// = 174,563,733,504; PaLM appendix B per token 6·N + 12·L·d·s = 1,076,373,430,272 FLOP.
constexpr double kGpt3MatmulWeights = 96.0 * 12 * 12288.0 * 12288 + 50257.0 * 12288;
constexpr double kGpt3FlopsPerToken = 6 * 174'563'733'504.0 + 12.0 * 96 * 12288 * 2048;
static_assert(kGpt3MatmulWeights == 174'563'733'504.0);
static_assert(kGpt3FlopsPerToken == 1'076'373'430'272.0);
// All parameters: 96·(12d² + 13d) + V·d + s·d + 2d = 174,604,259,328; 6·N·300e9 / 8.64e19 PF-days.
constexpr double kGpt3Params = 96.0 * (12 * 12288.0 * 12288 + 13 * 12288) + 50257.0 * 12288 + 2048.0 * 12288 + 2 * 12288;
static_assert(kGpt3Params == 174'604'259'328.0);

TEST(ModelsCli, Gpt3_175bFlopsPerTokenIsPalmsCountAndPfDaysAre6ND) {
  const CliResult r = run_trainbench({"models", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  const json* m = find_named(j.at("models"), "gpt3-175b");
  ASSERT_NE(m, nullptr) << r.out;
  EXPECT_EQ(m->at("model_flops_per_token").get<double>(), kGpt3FlopsPerToken);
  EXPECT_EQ(m->at("params").get<double>(), kGpt3Params);
  EXPECT_EQ(m->at("train_tokens").get<double>(), 300e9);
  EXPECT_DOUBLE_EQ(m->at("training_flops").get<double>(), 6 * kGpt3Params * 300e9);
  EXPECT_NEAR(m->at("pf_days").get<double>(), 3637.5887, 1e-3);  // Table D.1: 3640 with its rounded N
  EXPECT_DOUBLE_EQ(m->at("training_model_flops").get<double>(), kGpt3FlopsPerToken * 300e9);
  EXPECT_NEAR(m->at("model_pf_days").get<double>(), 3737.4077, 1e-3);
  EXPECT_EQ(m->at("published_pf_days").get<double>(), 3640);
  EXPECT_EQ(m->at("tokens_estimated"), "");

  // The table prints the same figures, in the columns its header names.
  const CliResult t = run_trainbench({"models"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const std::string header = line_of(t.out, "name "), row = line_of(t.out, "gpt3-175b ");
  EXPECT_EQ(cell_under(header, row, "FLOP/token"), "1.076e+12") << t.out;
  EXPECT_EQ(cell_under(header, row, "tokens"), "300.00 B") << t.out;
  EXPECT_EQ(cell_under(header, row, "PF-days"), "3637.6") << t.out;
}

// Mixtral's per-token count is of the experts a token passes through (top-2 of 8), not of all:
// the same function MFU divides by, so `run`'s MFU and this column agree.
TEST(ModelsCli, AMixtureOfExpertsCountsTheActiveExpertsPerToken) {
  const json j = json::parse(run_trainbench({"models", "--json"}).out);
  const json* m = find_named(j.at("models"), "mixtral-8x7b");
  ASSERT_NE(m, nullptr);
  // 32 layers, d 4096, 32 heads of 128, 8 KV heads, SwiGLU experts of 14336, top-2, vocab 32000
  // untied, context 32768: per layer Q,O 2·d² + K,V 2·d·1024 + router d·8 + 2 experts × 3·d·14336.
  const double d = 4096, layer = 2 * d * d + 2 * d * 1024 + d * 8 + 2 * 3 * d * 14336;
  const double matmul = 32 * layer + 32000 * d;
  EXPECT_DOUBLE_EQ(m->at("model_flops_per_token").get<double>(), 6 * matmul + 12.0 * 32 * 4096 * 32768);
  EXPECT_EQ(m->at("moe").at("experts_per_token"), 2);
  // Mistral published no token count: no compute, null rather than 0.
  EXPECT_TRUE(m->at("train_tokens").is_null());
  EXPECT_TRUE(m->at("pf_days").is_null());
  EXPECT_TRUE(m->at("model_pf_days").is_null());
  const std::string table = run_trainbench({"models"}).out;
  const std::string header = line_of(table, "name "), row = line_of(table, "mixtral-8x7b ");
  EXPECT_EQ(cell_under(header, row, "tokens"), "-") << table;
  EXPECT_EQ(cell_under(header, row, "PF-days"), "-") << table;
}

// An estimated token count (GPT-1: the config's estimate, the maker published none) marks the
// PF-days computed from it as it marks the tokens.
TEST(ModelsCli, PfDaysFromAnEstimatedTokenCountAreMarked) {
  const CliResult t = run_trainbench({"models"});
  const std::string header = line_of(t.out, "name "), row = line_of(t.out, "gpt1 ");
  EXPECT_EQ(cell_under(header, row, "tokens"), "100.00 B~") << t.out;
  const std::string pf_days = cell_under(header, row, "PF-days");
  ASSERT_FALSE(pf_days.empty()) << t.out;
  EXPECT_EQ(pf_days.back(), '~') << t.out;
  const json j = json::parse(run_trainbench({"models", "--json"}).out);
  const json* m = find_named(j.at("models"), "gpt1");
  ASSERT_NE(m, nullptr);
  EXPECT_NE(m->at("tokens_estimated"), "");
  EXPECT_DOUBLE_EQ(m->at("pf_days").get<double>(), 6 * m->at("active_params").get<double>() * 1e11 / 8.64e19);
}

// The free text (mlp, device) starts in one column on every line: a cell wider than its column
// would push it right, and every column after it out from under its header.
void expect_aligned(const std::string& table, size_t rows_at_least) {
  std::istringstream in(table);
  std::string header;
  std::getline(in, header);
  const size_t text_at = header.rfind("  ") + 2;
  size_t rows = 0;
  for (std::string line; std::getline(in, line);) {
    if (const size_t space = line.find(' '); space != std::string::npos && space > 0 && line[space - 1] == ':')
      break;  // the legend: "TF/s: dense peaks ..."
    ++rows;
    EXPECT_EQ(line.substr(text_at - 2, 2), "  ") << "a cell overflows in:\n" << line << "\n" << header;
    EXPECT_NE(line[text_at], ' ') << line;
    EXPECT_NE(line[text_at - 3], ' ') << "the last column is empty or shifted:\n" << line << "\n" << header;
  }
  EXPECT_GE(rows, rows_at_least) << table;
}

TEST(ModelsCli, EveryRowKeepsToTheHeadersColumns) { expect_aligned(run_trainbench({"models"}).out, 20); }

// Nominal and usable memory side by side: usable from [memory] usable_gib (nvidia-smi's total),
// the nominal where a config gives none, marked.
TEST(SkusCli, UsableMemoryStandsBesideTheNominal) {
  const CliResult t = run_trainbench({"skus"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const std::string header = line_of(t.out, "name ");
  // Every number has its unit in its header cell.
  for (const std::string cell : {"bf16 TF/s", "fp8 TF/s", "tf32 TF/s", "mem GB", "usable GiB", "BW TB/s", "TDP W",
                                 "NVL GB/s", "net GB/s"})
    EXPECT_NE(header.find(" " + cell + " "), std::string::npos) << cell << " missing:\n" << t.out;
  struct Expected {
    std::string sku, nominal, usable;
  };
  for (const Expected& e : {Expected{"h100-sxm", "80", "79.65"}, Expected{"h200", "141", "140.4"},
                            Expected{"l40s", "48", "44.99"}, Expected{"a100-sxm-80g", "80", "80*"}}) {
    const std::string row = line_of(t.out, e.sku + " ");
    EXPECT_EQ(cell_under(header, row, "mem GB"), e.nominal) << e.sku << "\n" << t.out;
    EXPECT_EQ(cell_under(header, row, "usable GiB"), e.usable) << e.sku << "\n" << t.out;
  }
  expect_aligned(t.out, 8);

  const json j = json::parse(run_trainbench({"skus", "--json"}).out);
  const json* h100 = find_named(j.at("skus"), "h100-sxm");
  ASSERT_NE(h100, nullptr);
  EXPECT_EQ(h100->at("memory_gb").get<double>(), 80);
  EXPECT_EQ(h100->at("usable_gib").get<double>(), 79.65);
  EXPECT_EQ(h100->at("capacity_gib").get<double>(), 79.65);
  EXPECT_EQ(h100->at("peak_tflops").at("bf16").get<double>(), 989);
  const json* a100 = find_named(j.at("skus"), "a100-sxm-80g");
  ASSERT_NE(a100, nullptr);
  EXPECT_TRUE(a100->at("usable_gib").is_null());
  EXPECT_EQ(a100->at("capacity_gib").get<double>(), 80);
}

}  // namespace
}  // namespace tb::testing
