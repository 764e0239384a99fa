// How trainbench leaves (cli/exit_path.hpp): by returning from main while the device is fine;
// after a lost device by std::_Exit, so that the CUDA runtime's teardown (atexit handlers) cannot
// wait for ever on a hung kernel, with the exit code kept and the streams flushed. The GPU half
// (does the teardown block, and does this path avoid it) is tests/gpu/test_hang_probe.cpp.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cli/exit_path.hpp"
#include "harness/runner/device_state.hpp"

namespace tb::cli {
namespace {

TEST(ExitPath, OnlyALostDeviceSkipsTheTeardown) {
  EXPECT_EQ(skip_teardown_note(std::nullopt), std::nullopt);
  const auto note = skip_teardown_note("at gemm.qkv 8x8x8: not finished after 30 s");
  ASSERT_TRUE(note.has_value());
  EXPECT_NE(note->find("(at gemm.qkv 8x8x8: not finished after 30 s)"), std::string::npos) << *note;
  EXPECT_NE(note->find("without the CUDA runtime's teardown"), std::string::npos) << *note;
  EXPECT_EQ(note->back(), '\n');
}

TEST(ExitPath, ReturnsTheCodeWhileTheDeviceIsFine) {
  runner::reset_device_lost();
  EXPECT_EQ(finish_process(0), 0);
  EXPECT_EQ(finish_process(130), 130);
}

// In a child process (a death test, re-executed: this binary runs a thread pool). An atexit handler
// stands in for the CUDA runtime's teardown: had it run, the exit code would read 99, not 3. The
// child's stdout goes to its stderr, which the death test reads: a line still in stdio's buffer
// (no newline, so no line buffering lets it out) shows only if the flush came before _Exit.
TEST(ExitPath, AfterALostDeviceLeavesAtOnceWithItsCodeAndFlushedOutput) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        std::fflush(stdout);
        if (::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) std::_Exit(98);
        std::fputs("results: run.json (partial)", stdout);
        std::atexit([] { std::_Exit(99); });
        runner::mark_device_lost("at attention.fwd: not finished after 30 s");
        finish_process(3);
        std::_Exit(97);  // finish_process returned: it must not, after a lost device
      },
      ::testing::ExitedWithCode(3), "results: run.json \\(partial\\)");
}

}  // namespace
}  // namespace tb::cli
