// The command line a results file records (harness/runner/machine_info.hpp) runs again as given:
// words with shell characters are single-quoted, a quote inside one closed and escaped.
#include <gtest/gtest.h>

#include "harness/runner/machine_info.hpp"

namespace tb::runner {
namespace {

TEST(CommandLine, PlainWordsStayAsTyped) {
  EXPECT_EQ(shell_command_line({"trainbench", "gemm", "-m", "64", "--out", "results/h100-sxm_2026.json",
                                "--gpu-hour-price", "h100-sxm=2.5", "--noise", "1%", "--sizes", "1K,2M"}),
            "trainbench gemm -m 64 --out results/h100-sxm_2026.json --gpu-hour-price h100-sxm=2.5 --noise 1% --sizes "
            "1K,2M");
}

TEST(CommandLine, ShellCharactersAreQuoted) {
  EXPECT_EQ(shell_command_line({"trainbench", "gemm", "--out", "/tmp/a b.json"}),
            "trainbench gemm --out '/tmp/a b.json'");
  EXPECT_EQ(shell_command_line({"x", ""}), "x ''");
  EXPECT_EQ(shell_command_line({"x", "it's"}), "x 'it'\\''s'");
  EXPECT_EQ(shell_command_line({"x", "$HOME", "a;b", "*", "~"}), "x '$HOME' 'a;b' '*' '~'");
  EXPECT_EQ(shell_command_line({}), "");
}

}  // namespace
}  // namespace tb::runner
