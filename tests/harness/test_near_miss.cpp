// Spelling near misses (harness/common/near_miss.hpp): distances by hand, the scaled allowance,
// and the suggestion's wording with one, several or no candidates.
#include <gtest/gtest.h>

#include "harness/common/near_miss.hpp"

namespace tb {
namespace {

TEST(NearMiss, EditDistanceByHand) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);  // k->s, e->i, +g
  EXPECT_EQ(edit_distance("compare", "comapre"), 2u);  // a transposition is two edits
  EXPECT_EQ(edit_distance("gpt3-17b", "gpt3-175b"), 1u);
}

TEST(NearMiss, AllowanceScalesWithLength) {
  EXPECT_TRUE(near_miss("moa", "moe"));    // one edit in a short name
  EXPECT_FALSE(near_miss("foo", "moe"));   // two are too many for three letters
  EXPECT_TRUE(near_miss("comapre", "compare"));  // seven letters allow two
  EXPECT_FALSE(near_miss("--zzz", "--gpu"));
}

TEST(NearMiss, SuggestsTheNearestAndListsEquals) {
  const std::vector<std::string> models = {"gpt3-13b", "gpt3-175b", "gpt3-xl", "llama3-8b"};
  EXPECT_EQ(did_you_mean("gpt3-17b", models), " (did you mean gpt3-13b or gpt3-175b?)");
  EXPECT_EQ(did_you_mean("llama3-7b", models), " (did you mean llama3-8b?)");
  EXPECT_EQ(did_you_mean("bert", models), "");
  // The name itself is no suggestion.
  EXPECT_EQ(closest("gpt3-xl", models), std::vector<std::string>{});
  // The nearer wins over a farther near miss.
  EXPECT_EQ(closest("gpt3-xk", {"gpt3-xl", "gpt3-x"}), (std::vector<std::string>{"gpt3-xl", "gpt3-x"}));
  EXPECT_EQ(closest("gpt3-xll", {"gpt3-x", "gpt3-xl"}), std::vector<std::string>{"gpt3-xl"});
}

}  // namespace
}  // namespace tb
