// The interrupt handler (harness/runner/interrupt.hpp) in a forked child, so that a signal's
// default action ends the child and not the test binary: a first signal only sets the flag, a
// repeat within a second is the same interrupt, a second signal later ends the process; and the
// flag reaches the waits on the device (kernels/common/bounded_poll.hpp).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "harness/runner/interrupt.hpp"
#include "kernels/common/bounded_poll.hpp"

namespace tb::runner {
namespace {

// The child's exit code: 0 when it saw the flag and lived, 1 when the flag was not set; a
// signal's default action kills it instead.
template <class Body>
int child_status(Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    install_interrupt_handler();
    body();
    _exit(interrupted() ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(Interrupt, FirstSignalOnlySetsTheFlag) {
  const int status = child_status([] { std::raise(SIGINT); });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Interrupt, ARepeatWithinASecondIsTheSameInterrupt) {
  // As coreutils `timeout` delivers one: to the child, then to its process group.
  const int status = child_status([] {
    std::raise(SIGTERM);
    std::raise(SIGTERM);
  });
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Interrupt, ASecondSignalLaterEndsTheProcess) {
  const int status = child_status([] {
    std::raise(SIGINT);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    std::raise(SIGINT);
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGINT);
}

// The exit code a child reports after `body`: interrupted_exit_code() once the flag is set.
template <class Body>
int child_exit_code(Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    install_interrupt_handler();
    body();
    _exit(interrupted() ? interrupted_exit_code() : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

TEST(Interrupt, ExitCodeIs128PlusTheFirstSignal) {
  EXPECT_EQ(child_exit_code([] { std::raise(SIGINT); }), 128 + 2);
  EXPECT_EQ(child_exit_code([] { std::raise(SIGTERM); }), 128 + 15);
  // The first signal decides: a SIGINT delivered on top of a scheduler's SIGTERM is the same stop.
  EXPECT_EQ(child_exit_code([] {
              std::raise(SIGTERM);
              std::raise(SIGINT);
            }),
            143);
  // Stopped without a signal (request_interrupt): Ctrl-C's code.
  EXPECT_EQ(child_exit_code([] { request_interrupt(); }), 130);
}

TEST(Interrupt, ResetForgetsTheSignal) {
  EXPECT_EQ(child_exit_code([] {
              std::raise(SIGTERM);
              reset_interrupted();
              request_interrupt();
            }),
            130);
}

// gpu-check's `timeout` sends SIGTERM at a step's cap: a wait on a kernel that never finishes must
// end on it, well before its own deadline, so that the run can record the hang before the SIGKILL.
TEST(Interrupt, ASignalEndsAWaitOnTheDevice) {
  const int status = child_status([] {
    std::thread signaller([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ::kill(::getpid(), SIGTERM);
    });
    const auto start = std::chrono::steady_clock::now();
    const auto outcome = kernels::poll_until_done([] { return false; }, std::chrono::seconds(20));
    const double took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    signaller.join();
    // Within the interrupt's grace, with room for a loaded machine: far from the 20 s deadline.
    if (outcome != kernels::PollOutcome::interrupted || took_s > 5.0) _exit(3);
  });
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: the wait did not end as interrupted within 5 s of the signal";
}

}  // namespace
}  // namespace tb::runner
