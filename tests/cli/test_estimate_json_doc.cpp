// docs/estimate-json.md states what `trainbench estimate --json` writes: every key path some run
// below writes ("scaling.dp_link_gb_s") is a row of the doc's table for its parent, and every row
// is a key one of them writes. The runs cover each "when" of the doc: a site, a layout that fits
// and one that does not, interruptions, prices, the layout search with and without an answer, and
// several SKUs (each element of `skus` is checked as a one-answer object, plus its own keys).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/cli_runner.hpp"
#include "tests/support/doc_key_tables.hpp"

namespace tb::testing {
namespace {

using nlohmann::json;

const std::string kDoc = "docs/estimate-json.md";

struct Run {
  std::vector<std::string> args;  // after "estimate", without --json
  int exit_code = 0;
};

const std::vector<Run> kRuns = {
    // The article's arithmetic beside a throughput without a SKU.
    {{"--model", "gpt3-175b", "--tflops", "140", "--gpus", "1024", "--recompute", "full", "--site", "500p", "--days",
      "30"}},
    // A SKU at a site with a layout, interruptions, quotes and a server price.
    {{"--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--tp", "8", "--pp", "8", "--zero", "1", "--gpus",
      "1024", "--site", "500p", "--days", "30", "--mtbf-gpu-hours", "llama3", "--gpu-hour-price", "2.5",
      "--server-price", "350000", "--currency", "CNY"}},
    // A layout that does not fit, with the flags that would.
    {{"--model", "gpt3-175b", "--gpu", "h100-sxm", "--tp", "8"}},
    // One that no pipeline size or ZeRO stage fits on these GPUs: the other ways to try.
    {{"--model", "llama3-405b", "--seq", "131072", "--gpus", "16384", "--gpu", "h100-sxm", "--tp", "8", "--pp", "16",
      "--zero", "1"}},
    // Sites that no count of GPUs finishes in time once interruptions are counted (0.01 days:
    // about 930,000 GPUs, one interruption every 390 s, less than a restart).
    {{"--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1024", "--site", "500p", "--days",
      "0.01", "--mtbf-gpu-hours", "100000"}},
    // The layout search: an answer, and a deadline no fitting layout meets (exit 1).
    {{"--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--gpus", "1024", "--layout", "auto",
      "--recompute", "auto"}},
    {{"--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "0.5", "--layout", "auto"}, 1},
    // Its deadline at a site: the layout's GPUs need more whole sites than the work fills.
    {{"--model", "gpt3-175b", "--gpu", "h100-sxm", "--mfu", "0.4", "--days", "1", "--layout", "auto", "--site",
      "500p"}},
    // Several SKUs: one that cannot hold the layout, ties, and a layout search with no answer for one.
    {{"--model", "gpt3-175b", "--gpu", "h100-sxm,h200,l40s", "--mfu", "0.4", "--tp", "8", "--pp", "4", "--gpus", "128"}},
    {{"--model", "gpt3-175b", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--days", "30", "--gpu-hour-price", "2.5",
      "--site", "1000p", "--currency", "USD"}},
    {{"--model", "gpt3-175b", "--gpu", "h100-sxm,rtx4090", "--mfu", "0.4", "--gpus", "64", "--layout", "auto"}},
    // A model whose token count is its config's estimate (tokens_estimated).
    {{"--model", "gpt1"}},
};

// Each element of `skus` is a one-answer object (the Top level table) with the keys of `skus[]`:
// checked as its own output, and the keys only `skus[]` has as paths of the whole.
std::vector<WrittenJson> outputs_of(const std::string& source, json j) {
  std::vector<WrittenJson> out;
  if (j.contains("skus")) {
    for (size_t i = 0; i < j["skus"].size(); ++i) {
      json& s = j["skus"][i];
      json own = json::object();
      for (const char* key : {"sku", "layout", "why_not", "unusable"})
        if (s.contains(key)) {
          own[key] = s[key];
          s.erase(key);
        }
      out.push_back({source + " skus[" + std::to_string(i) + "]", s});
      s = own;
    }
  }
  out.insert(out.begin(), {source, j});
  return out;
}

std::vector<WrittenJson> written_outputs() {
  std::vector<WrittenJson> all;
  for (const auto& run : kRuns) {
    std::vector<std::string> args = {"estimate"};
    args.insert(args.end(), run.args.begin(), run.args.end());
    args.push_back("--json");
    std::string source = "trainbench";
    for (const auto& a : args) source += " " + a;
    const auto r = run_trainbench(args);
    EXPECT_EQ(r.exit_code, run.exit_code) << source << "\n" << r.err;
    try {
      for (auto& o : outputs_of(source, json::parse(r.out))) all.push_back(std::move(o));
    } catch (const json::exception& e) {
      ADD_FAILURE() << source << ": not JSON (" << e.what() << "): " << r.out;
    }
  }
  return all;
}

std::string doc_text() { return read_text(std::string(TB_SOURCE_DIR) + "/" + kDoc); }

std::string problems_of(const std::string& markdown, const std::vector<WrittenJson>& written) {
  std::vector<std::string> problems;
  const DocKeys doc = documented_keys(markdown, kDoc, "", problems);
  for (const auto& p : coverage_problems(doc, kDoc, written, "estimate --json output")) problems.push_back(p);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  return all;
}

TEST(EstimateJsonDoc, ListsEveryKeyWrittenAndWritesEveryKeyListed) {
  std::vector<std::string> errors;
  ASSERT_GT(documented_keys(doc_text(), kDoc, "", errors).size(), 150u) << "no key tables found in " << kDoc;
  const auto written = written_outputs();
  ASSERT_GE(written.size(), kRuns.size());
  const std::string problems = problems_of(doc_text(), written);
  EXPECT_TRUE(problems.empty()) << problems;
}

// The check can fail: a row dropped, or a key listed that nothing writes, is caught by name.
TEST(EstimateJsonDoc, AnEditedDocIsCaught) {
  const std::string text = doc_text();
  const std::vector<WrittenJson> written = outputs_of(
      "estimate --gpu h100-sxm,h200 --site 500p",
      json::parse(run_trainbench({"estimate", "--gpu", "h100-sxm,h200", "--mfu", "0.4", "--days", "30", "--site",
                                  "500p", "--json"})
                      .out));
  auto edited = [&](const std::string& from, const std::string& to) { return edited_doc(text, from, to); };
  const std::string unedited = problems_of(text, written);
  auto expect_caught = [&](const std::string& edited_text, const std::string& complaint) {
    EXPECT_EQ(unedited.find(complaint), std::string::npos) << unedited;
    const std::string problems = problems_of(edited_text, written);
    EXPECT_NE(problems.find(complaint), std::string::npos) << "wanted '" << complaint << "' in:\n" << problems;
  };
  expect_caught(edited("| `gpus_per_site` |", ""), "does not document `gpus_per_site`");
  expect_caught(edited("| `site_currency` |", "| `currency` |"), "does not document `site_currency`");
  expect_caught(edited("| `site_currency` |", "| `site_currency`, `total_cost` |"), "documents `total_cost`");
  expect_caught(edited("| `what` |", ""), "does not document `best_sku.ties[].what`");
}

}  // namespace
}  // namespace tb::testing
