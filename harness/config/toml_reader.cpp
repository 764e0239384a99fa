#include "harness/config/toml_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "harness/common/errors.hpp"
#include "harness/common/near_miss.hpp"

namespace tb::config {

TomlReader::TomlReader(toml::table table, std::string origin)
    : table_(std::move(table)), origin_(std::move(origin)) {}

TomlReader TomlReader::from_string(const std::string& text, const std::string& origin) {
  try {
    return TomlReader(toml::parse(text, origin), origin);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw UsageError(fmt::format("{}:{}:{}: malformed TOML: {}", origin, where.line, where.column,
                                 e.description()));
  }
}

TomlReader TomlReader::from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError(fmt::format("{}: cannot open config file", path));
  std::stringstream text;
  text << in.rdbuf();
  return from_string(text.str(), path);
}

toml::node_view<const toml::node> TomlReader::at(const std::string& field) const {
  asked_.insert(field);
  return table_.at_path(field);
}


void TomlReader::refuse_unknown_fields() const {
  // Depth-first over the document; tables are containers, their leaves the fields.
  auto visit = [&](const auto& self, const toml::table& table, const std::string& prefix) -> void {
    for (auto&& [key, node] : table) {
      const std::string path = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
      if (const toml::table* inner = node.as_table()) {
        self(self, *inner, path);
        continue;
      }
      if (asked_.count(path)) continue;
      // A whole table never asked about, a near miss of one that was: the table's name is the
      // mistake. (Optional tables absent from the file were not asked about, so the known ones
      // are not listed: only a near miss is named.)
      const std::string top = path.substr(0, path.find('.'));
      if (top != path) {
        // Tables asked about: a dotted field's first part, or a name probed with has() ("moe") that
        // the file does not hold as a value.
        std::set<std::string> tables;
        for (const auto& known : asked_) {
          const std::string first = known.substr(0, known.find('.'));
          const auto node = table_.get(first);
          if (known != first || !node || node->is_table()) tables.insert(first);
        }
        if (!tables.count(top))
          for (const auto& t : tables)
            if (near_miss(top, t))
              throw UsageError(fmt::format("{}: table [{}] is not one trainbench knows; is it [{}] misspelt?", origin_,
                                           top, t));
      }
      std::vector<std::string> accepted;
      const std::string table_prefix = prefix.empty() ? "" : prefix + ".";
      for (const auto& known : asked_)
        if (known.rfind(table_prefix, 0) == 0 && known.find('.', table_prefix.size()) == std::string::npos)
          accepted.push_back(known.substr(table_prefix.size()));
      fail(path, fmt::format("is not a field trainbench knows{}", accepted.empty()
                                                                     ? std::string()
                                                                     : fmt::format(" (accepted in {}: {})",
                                                                                   prefix.empty() ? "the top level"
                                                                                                  : "[" + prefix + "]",
                                                                                   fmt::join(accepted, ", "))));
    }
  };
  visit(visit, table_, "");
}

bool TomlReader::has(const std::string& field) const { return static_cast<bool>(at(field)); }


void TomlReader::fail(const std::string& field, const std::string& why) const {
  // A required field of a table the file lacks, beside a table of a near name: the table's name
  // is the mistake, not the field ("[architectur]" for "[architecture]").
  std::string hint;
  const auto dot = field.find('.');
  if (why.rfind("is missing", 0) == 0 && dot != std::string::npos) {
    const std::string table = field.substr(0, dot);
    if (!table_.contains(table))
      for (const auto& [key, node] : table_)
        if (node.is_table() && edit_distance(std::string(key.str()), table) <= 2) {
          hint = fmt::format(" (the file has a table [{}]: is it [{}] misspelt?)", key.str(), table);
          break;
        }
  }
  throw UsageError(fmt::format("{}: field '{}' {}{}", origin_, field, why, hint));
}

std::optional<std::string> TomlReader::optional_string(const std::string& field) const {
  auto node = at(field);
  if (!node) return std::nullopt;
  if (!node.is_string()) fail(field, "must be a string");
  return std::string(*node.value<std::string>());
}

std::string TomlReader::require_string(const std::string& field) const {
  auto value = optional_string(field);
  if (!value) fail(field, "is missing");
  if (value->empty()) fail(field, "must not be empty");
  return *value;
}

std::string TomlReader::require_choice(const std::string& field,
                                       const std::vector<std::string>& accepted,
                                       const std::optional<std::string>& fallback) const {
  auto value = optional_string(field);
  if (!value) {
    if (fallback) return *fallback;
    fail(field, fmt::format("is missing (accepted: {})", fmt::join(accepted, ", ")));
  }
  for (const auto& a : accepted)
    if (*value == a) return *value;
  fail(field, fmt::format("is '{}'; accepted values: {}", *value, fmt::join(accepted, ", ")));
}

std::optional<double> TomlReader::optional_non_negative(const std::string& field) const {
  auto node = at(field);
  if (!node) return std::nullopt;
  if (!node.is_number()) fail(field, "must be a number");
  double v = *node.value<double>();
  if (!std::isfinite(v)) fail(field, "must be finite");
  if (v < 0) fail(field, fmt::format("must not be negative (got {})", v));
  return v;
}

std::optional<double> TomlReader::optional_positive(const std::string& field) const {
  auto v = optional_non_negative(field);
  if (v && *v <= 0) fail(field, fmt::format("must be positive (got {})", *v));
  return v;
}

double TomlReader::require_positive(const std::string& field) const {
  auto v = optional_positive(field);
  if (!v) fail(field, "is missing");
  return *v;
}

std::optional<int64_t> TomlReader::optional_positive_int(const std::string& field) const {
  auto node = at(field);
  if (!node) return std::nullopt;
  if (!node.is_integer()) fail(field, "must be an integer");
  int64_t v = *node.value<int64_t>();
  if (v <= 0) fail(field, fmt::format("must be a positive integer (got {})", v));
  return v;
}

std::optional<int64_t> TomlReader::optional_non_negative_int(const std::string& field) const {
  auto node = at(field);
  if (!node) return std::nullopt;
  if (!node.is_integer()) fail(field, "must be an integer");
  int64_t v = *node.value<int64_t>();
  if (v < 0) fail(field, fmt::format("must be a non-negative integer (got {})", v));
  return v;
}

int64_t TomlReader::require_positive_int(const std::string& field) const {
  auto v = optional_positive_int(field);
  if (!v) fail(field, "is missing");
  return *v;
}

std::optional<bool> TomlReader::optional_bool(const std::string& field) const {
  auto node = at(field);
  if (!node) return std::nullopt;
  if (!node.is_boolean()) fail(field, "must be true or false");
  return *node.value<bool>();
}

std::vector<std::string> TomlReader::optional_string_list(const std::string& field) const {
  std::vector<std::string> out;
  auto node = at(field);
  if (!node) return out;
  const auto* arr = node.as_array();
  if (!arr) fail(field, "must be an array of strings");
  for (const auto& item : *arr) {
    if (!item.is_string()) fail(field, "must be an array of strings");
    out.emplace_back(*item.value<std::string>());
  }
  return out;
}

}  // namespace tb::config
