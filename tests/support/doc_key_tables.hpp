#pragma once
// The key tables of a JSON doc (docs/results-schema.md, docs/estimate-json.md) as tests read them,
// to check a doc against its writer both ways: every key path written is a row, every row a key
// path some output holds. A heading "## Top level" or "## `kernels[]`" names the parent of the
// rows below it ("## `a`, `b`": rows of both; other headings end the key tables); each row's
// first cell holds its keys in backticks ("`mad_ms`", or "`a`, `b`" for several).
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace tb::testing {

struct DocKey {
  std::string cell;  // the row's cell in the column asked for ("" where none was)
  int line = 0;
};
using DocKeys = std::map<std::string, DocKey>;  // by key path: "kernels[].stats.mad_ms"

// `doc` names the file in the problems; `column`: a header every key table must have (its cell is
// kept per key), or "" for none. Problems with the doc itself go to `errors`.
DocKeys documented_keys(const std::string& text, const std::string& doc, const std::string& column,
                        std::vector<std::string>& errors);

// Every key path in a JSON value: objects' keys joined by '.', an array of objects as "[]".
void collect_paths(const nlohmann::json& j, const std::string& path, std::set<std::string>& out);

// `text` with its first `from` replaced by `to`, or with the whole line holding `from` removed
// where `to` is "": how a test edits a doc to prove that the check catches the edit. A `from` the
// doc does not hold fails the calling test (and returns the text unedited).
std::string edited_doc(const std::string& text, const std::string& from, const std::string& to);

// A table row's cells, trimmed ("| `a` | b |" → "`a`", "b").
std::vector<std::string> cells_of(const std::string& row);

// The text inside each pair of backticks, in order.
std::vector<std::string> backticked(const std::string& text);
std::string trim(const std::string& s);

// A JSON output and where it came from, for the messages.
struct WrittenJson {
  std::string source;
  nlohmann::json j;
};

// Keys the outputs hold that the doc lacks, and keys the doc lists that no output holds; `outputs`
// names them in the second kind of message ("results file", "estimate --json").
std::vector<std::string> coverage_problems(const DocKeys& doc, const std::string& doc_name,
                                           const std::vector<WrittenJson>& written, const std::string& outputs);

}  // namespace tb::testing
