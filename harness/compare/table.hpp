#pragma once
// One table, two renderings: aligned plain text for terminals, GitHub-flavoured markdown for CI
// comments. Cells are strings; the caller formats numbers (with their units in the header).
#include <string>
#include <vector>

namespace tb::compare {

enum class TableFormat { Text, Markdown };
// Accepts "text" or "markdown" (also "md"); refuses others naming `flag`.
TableFormat parse_table_format(const std::string& text, const std::string& flag);

struct Table {
  std::vector<std::string> headers;
  std::vector<bool> right_align;  // per column; numbers right, names left
  std::vector<std::vector<std::string>> rows;

  void add_row(std::vector<std::string> row) { rows.push_back(std::move(row)); }
  std::string render(TableFormat format) const;
};

// Markdown cells cannot hold '|' or newlines; backslash-escape the one, flatten the other.
std::string markdown_cell(const std::string& text);

}  // namespace tb::compare
