#pragma once
// Typed access to one object of a results file, for results_io.cpp: every mismatch (missing,
// wrong type, out of range) is a UsageError naming the file and the field's JSON path.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "harness/common/errors.hpp"

namespace tb::results {

// Typed field access that names the file and the JSON path on any mismatch.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& j, std::string origin, std::string path)
      : j_(j), origin_(std::move(origin)), path_(std::move(path)) {}

  template <typename T>
  T get(const std::string& key) const {
    if (!j_.contains(key)) fail(key, "is missing");
    return as<T>(key);
  }
  template <typename T>
  T get_or(const std::string& key, T fallback) const {
    if (!j_.contains(key) || j_.at(key).is_null()) return fallback;
    return as<T>(key);
  }
  FieldReader child(const std::string& key) const {
    if (!j_.contains(key) || !j_.at(key).is_object()) fail(key, "must be an object");
    return FieldReader(j_.at(key), origin_, path_ + key + ".");
  }
  bool has(const std::string& key) const { return j_.contains(key) && !j_.at(key).is_null(); }
  // Times, counts, FLOPs and rates are finite and never negative: a value outside that is a
  // hand-edited or corrupted file, refused here rather than turned into inf or a negative
  // estimate downstream (where the message would name a flag the user never gave).
  double get_nonneg(const std::string& key) const { return nonneg(key, get<double>(key)); }
  double get_nonneg_or(const std::string& key, double fallback) const {
    return nonneg(key, get_or<double>(key, fallback));
  }
  int64_t get_count(const std::string& key) const {
    const auto v = get<int64_t>(key);
    if (v < 0) fail(key, fmt::format("must be >= 0 (got {})", v));
    return v;
  }
  // At least `min` (> 0): a time that feeds a division.
  double get_at_least(const std::string& key, double min, const std::string& why) const {
    const double v = get<double>(key);
    if (!std::isfinite(v) || !(v >= min)) fail(key, fmt::format("must be at least {} ({}; got {})", min, why, v));
    return v;
  }
  double nonneg(const std::string& key, double v) const {
    if (!std::isfinite(v) || v < 0) fail(key, fmt::format("must be a finite number >= 0 (got {})", v));
    return v;
  }
  const nlohmann::json& raw() const { return j_; }
  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw UsageError(fmt::format("{}: results field '{}{}' {}", origin_, path_, key, why));
  }
  const std::string& origin() const { return origin_; }
  const std::string& path() const { return path_; }

 private:
  template <typename T>
  T as(const std::string& key) const {
    const nlohmann::json& v = j_.at(key);
    if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) fail(key, "must be a string");
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) fail(key, "must be true or false");
    } else if constexpr (std::is_integral_v<T>) {
      if (!v.is_number_integer()) fail(key, "must be an integer");
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!v.is_number()) fail(key, "must be a number");
    }
    return v.get<T>();
  }
  const nlohmann::json& j_;
  std::string origin_;
  std::string path_;
};

}  // namespace tb::results
