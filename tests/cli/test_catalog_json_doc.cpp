// docs/catalog-json.md states what `trainbench models --json` and `skus --json` write: every key
// path either writes is a row of the doc's table for its parent, and every row is a key one of
// them writes (over every config: a dense and a MoE model, SKUs with and without each figure).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/cli_runner.hpp"
#include "tests/support/doc_key_tables.hpp"

namespace tb::testing {
namespace {

using nlohmann::json;

const std::string kDoc = "docs/catalog-json.md";

std::vector<WrittenJson> written_outputs() {
  std::vector<WrittenJson> all;
  for (const std::string command : {"models", "skus"}) {
    const CliResult r = run_trainbench({command, "--json"});
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.err;
    try {
      all.push_back({"trainbench " + command + " --json", json::parse(r.out)});
    } catch (const json::exception& e) {
      ADD_FAILURE() << command << " --json: not JSON (" << e.what() << "): " << r.out;
    }
  }
  return all;
}

std::string problems_of(const std::string& markdown, const std::vector<WrittenJson>& written) {
  std::vector<std::string> problems;
  const DocKeys doc = documented_keys(markdown, kDoc, "unit", problems);
  for (const auto& p : coverage_problems(doc, kDoc, written, "models/skus --json output")) problems.push_back(p);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  return all;
}

std::string doc_text() { return read_text(std::string(TB_SOURCE_DIR) + "/" + kDoc); }

TEST(CatalogJsonDoc, ListsEveryKeyWrittenAndWritesEveryKeyListed) {
  std::vector<std::string> errors;
  ASSERT_GT(documented_keys(doc_text(), kDoc, "unit", errors).size(), 40u) << "no key tables found in " << kDoc;
  const std::string problems = problems_of(doc_text(), written_outputs());
  EXPECT_TRUE(problems.empty()) << problems;
}

// The check can fail: a row dropped, or a key listed that nothing writes, is caught by name.
TEST(CatalogJsonDoc, AnEditedDocIsCaught) {
  const std::string text = doc_text();
  const auto written = written_outputs();
  const std::string unedited = problems_of(text, written);
  auto expect_caught = [&](const std::string& edited_text, const std::string& complaint) {
    EXPECT_EQ(unedited.find(complaint), std::string::npos) << unedited;
    const std::string problems = problems_of(edited_text, written);
    EXPECT_NE(problems.find(complaint), std::string::npos) << "wanted '" << complaint << "' in:\n" << problems;
  };
  expect_caught(edited_doc(text, "| `model_flops_per_token` |", ""), "does not document `models[].model_flops_per_token`");
  expect_caught(edited_doc(text, "| `usable_gib` |", ""), "does not document `skus[].usable_gib`");
  expect_caught(edited_doc(text, "| `capacity_gib` |", "| `capacity_gib`, `spare_gib` |"), "documents `skus[].spare_gib`");
}

}  // namespace
}  // namespace tb::testing
