#pragma once
// Typed, validated access to one TOML document. Every error names the file and the dotted
// field, so a user can fix their own config without reading our code.
#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tb::config {

class TomlReader {
 public:
  // Parses `path`; a syntax error becomes a UsageError naming file, line and column.
  static TomlReader from_file(const std::string& path);
  static TomlReader from_string(const std::string& text, const std::string& origin);

  const std::string& origin() const { return origin_; }

  std::string require_string(const std::string& field) const;
  std::optional<std::string> optional_string(const std::string& field) const;
  // One of `accepted`; anything else is refused with the accepted values listed.
  std::string require_choice(const std::string& field, const std::vector<std::string>& accepted,
                             const std::optional<std::string>& fallback = std::nullopt) const;

  // Positive, finite numbers: non-positive, NaN and infinite values are refused by name.
  double require_positive(const std::string& field) const;
  std::optional<double> optional_positive(const std::string& field) const;
  std::optional<double> optional_non_negative(const std::string& field) const;
  int64_t require_positive_int(const std::string& field) const;
  std::optional<int64_t> optional_positive_int(const std::string& field) const;
  std::optional<int64_t> optional_non_negative_int(const std::string& field) const;
  std::optional<bool> optional_bool(const std::string& field) const;
  std::vector<std::string> optional_string_list(const std::string& field) const;

  bool has(const std::string& field) const;

  // After a config has read every field it knows: a field it never asked for is a typo
  // (`kv_head` for `kv_heads` would otherwise silently mean full multi-head attention), refused
  // naming it and the fields its table accepts.
  void refuse_unknown_fields() const;

 private:
  TomlReader(toml::table table, std::string origin);
  toml::node_view<const toml::node> at(const std::string& field) const;
  [[noreturn]] void fail(const std::string& field, const std::string& why) const;

  toml::table table_;
  std::string origin_;
  mutable std::set<std::string> asked_;  // every dotted field the config's parser looked up
};

}  // namespace tb::config
