#include "harness/compare/table.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "harness/common/errors.hpp"

namespace tb::compare {

TableFormat parse_table_format(const std::string& text, const std::string& flag) {
  if (text == "text") return TableFormat::Text;
  if (text == "markdown" || text == "md") return TableFormat::Markdown;
  throw UsageError(fmt::format("{} '{}' is not a format; accepted values: text, markdown", flag, text));
}

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

namespace {

// Display width in code points, so "±" and "…" do not skew the columns.
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string pad(const std::string& s, size_t width, bool right) {
  const size_t w = display_width(s);
  const std::string fill(width > w ? width - w : 0, ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

std::string Table::render(TableFormat format) const {
  const size_t cols = headers.size();
  auto right = [&](size_t c) { return c < right_align.size() && right_align[c]; };
  std::string out;
  if (format == TableFormat::Markdown) {
    out += "|";
    for (const auto& h : headers) out += fmt::format(" {} |", markdown_cell(h));
    out += "\n|";
    for (size_t c = 0; c < cols; ++c) out += right(c) ? " ---: |" : " --- |";
    out += "\n";
    for (const auto& row : rows) {
      out += "|";
      for (size_t c = 0; c < cols; ++c) out += fmt::format(" {} |", markdown_cell(c < row.size() ? row[c] : ""));
      out += "\n";
    }
    return out;
  }
  std::vector<size_t> width(cols, 0);
  for (size_t c = 0; c < cols; ++c) {
    width[c] = display_width(headers[c]);
    for (const auto& row : rows)
      if (c < row.size()) width[c] = std::max(width[c], display_width(row[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t c = 0; c < cols; ++c) {
      if (c) l += "  ";
      l += pad(c < cells.size() ? cells[c] : "", width[c], right(c));
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l + "\n";
  };
  out += line(headers);
  size_t total = 0;
  for (size_t c = 0; c < cols; ++c) total += width[c] + (c ? 2 : 0);
  out += std::string(total, '-') + "\n";
  for (const auto& row : rows) out += line(row);
  return out;
}

}  // namespace tb::compare
