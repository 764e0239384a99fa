#pragma once
// Test helpers for refusals: the UsageError message a call throws, and a config text with one
// field changed (a missing `from` fails the test, so a typo cannot make a refusal test vacuous).
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "harness/common/errors.hpp"

namespace tb::testing {

inline std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos == std::string::npos) return text;
  return text.replace(pos, from.size(), to);
}

}  // namespace tb::testing
