#include "tests/support/doc_key_tables.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <optional>
#include <sstream>

namespace tb::testing {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> cells_of(const std::string& row) {
  std::vector<std::string> cells;
  std::stringstream in(row.substr(1));  // after the leading '|'
  for (std::string cell; std::getline(in, cell, '|');) cells.push_back(trim(cell));
  return cells;
}

namespace {

}  // namespace

std::vector<std::string> backticked(const std::string& text) {
  std::vector<std::string> out;
  for (size_t open = text.find('`'); open != std::string::npos; open = text.find('`', open)) {
    const size_t close = text.find('`', open + 1);
    if (close == std::string::npos) break;
    out.push_back(text.substr(open + 1, close - open - 1));
    open = close + 1;
  }
  return out;
}

DocKeys documented_keys(const std::string& text, const std::string& doc, const std::string& column,
                        std::vector<std::string>& errors) {
  DocKeys keys;
  std::optional<std::vector<std::string>> parents;
  int column_at = -1, n = 0;
  bool header_seen = false;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.starts_with("#")) {
      const auto names = backticked(line);
      parents = line.find("Top level") != std::string::npos ? std::optional(std::vector<std::string>{""})
                : names.empty()                             ? std::nullopt
                                                            : std::optional(names);
      column_at = -1;
      header_seen = false;
      continue;
    }
    if (!parents || !line.starts_with("|")) continue;
    const auto cells = cells_of(line);
    if (cells.empty() || cells[0].starts_with("---")) continue;
    if (cells[0] == "key") {
      header_seen = true;
      for (size_t i = 0; i < cells.size(); ++i)
        if (!column.empty() && cells[i] == column) column_at = static_cast<int>(i);
      if (!column.empty() && column_at < 0)
        errors.push_back(fmt::format("{}:{}: a key table without a \"{}\" column", doc, n, column));
      continue;
    }
    const auto names = backticked(cells[0]);
    const bool cell_missing = !column.empty() && (column_at < 0 || column_at >= static_cast<int>(cells.size()));
    if (names.empty() || !header_seen || cell_missing) {
      errors.push_back(fmt::format("{}:{}: a row without a `key`{}: {}", doc, n,
                                   column.empty() ? "" : fmt::format(" or a {} cell", column), line));
      continue;
    }
    const std::string cell = column.empty() ? "" : cells[static_cast<size_t>(column_at)];
    for (const auto& parent : *parents)
      for (const auto& name : names) {
        const std::string path = parent.empty() ? name : parent + "." + name;
        if (!keys.emplace(path, DocKey{cell, n}).second)
          errors.push_back(fmt::format("{}:{}: `{}` is documented twice", doc, n, path));
      }
  }
  return keys;
}

void collect_paths(const nlohmann::json& j, const std::string& path, std::set<std::string>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string child = path.empty() ? it.key() : path + "." + it.key();
      out.insert(child);
      collect_paths(it.value(), child, out);
    }
  } else if (j.is_array()) {
    for (const auto& e : j)
      if (e.is_object()) collect_paths(e, path + "[]", out);
  }
}

std::vector<std::string> coverage_problems(const DocKeys& doc, const std::string& doc_name,
                                           const std::vector<WrittenJson>& written, const std::string& outputs) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const auto& w : written) {
    std::set<std::string> paths;
    collect_paths(w.j, "", paths);
    for (const auto& p : paths) {
      seen.insert(p);
      if (!doc.count(p)) problems.push_back(fmt::format("{} does not document `{}`, which {} writes", doc_name, p, w.source));
    }
  }
  for (const auto& [path, key] : doc)
    if (!seen.count(path))
      problems.push_back(fmt::format("{}:{} documents `{}`, which no {} written here holds", doc_name, key.line, path,
                                     outputs));
  return problems;
}

std::string edited_doc(const std::string& text, const std::string& from, const std::string& to) {
  std::string t = text;
  const size_t at = t.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at == std::string::npos) return t;
  return to.empty() ? t.erase(at, t.find('\n', at) + 1 - at) : t.replace(at, from.size(), to);
}

}  // namespace tb::testing
