// The bounded waits' polling (kernels/common/bounded_poll.hpp) with a fake "is it done?" in place
// of cudaEventQuery: it ends when the work is done, at its deadline, or within its grace of an
// interrupt, whichever comes first; an interrupt the work outlives is what gpu-check's SIGTERM at a
// step's cap must turn into a recorded hang.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "kernels/common/bounded_poll.hpp"

namespace tb::kernels {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Watches `flag` for the test's lifetime, then puts back whatever was watched before.
class WatchedFlag {
 public:
  WatchedFlag() : before_(watch_interrupt_flag(&flag_)) {}
  ~WatchedFlag() { watch_interrupt_flag(before_); }
  void raise() { flag_.store(true); }

 private:
  std::atomic<bool> flag_{false};
  const std::atomic<bool>* before_;
};

const auto never_done = [] { return false; };

TEST(BoundedPoll, InterruptRaisedMidWaitEndsItPromptly) {
  WatchedFlag flag;
  const auto start = Clock::now();
  std::thread raiser([&] {
    std::this_thread::sleep_for(milliseconds(100));
    flag.raise();
  });
  const PollOutcome outcome = poll_until_done(never_done, milliseconds(20'000), milliseconds(50));
  const double took_s = seconds_since(start);
  raiser.join();
  EXPECT_EQ(outcome, PollOutcome::interrupted);
  EXPECT_GE(took_s, 0.15) << "ended before the interrupt and its grace";
  // Promptly: the interrupt at 0.1 s and a 0.05 s grace, far from the 20 s deadline (the rest is
  // room for a loaded 2-core machine).
  EXPECT_LT(took_s, 3.0) << "the interrupt did not end the wait";
}

TEST(BoundedPoll, WithoutAnInterruptTheDeadlineRules) {
  WatchedFlag flag;  // watched, never raised
  const auto start = Clock::now();
  EXPECT_EQ(poll_until_done(never_done, milliseconds(200), milliseconds(0)), PollOutcome::timed_out);
  const double took_s = seconds_since(start);
  EXPECT_GE(took_s, 0.2) << "gave up before its deadline";
  EXPECT_LT(took_s, 3.0);
}

TEST(BoundedPoll, NoFlagWatchedMeansNoInterrupt) {
  const auto* before = watch_interrupt_flag(nullptr);
  EXPECT_FALSE(wait_interrupt_requested());
  EXPECT_EQ(poll_until_done(never_done, milliseconds(50), milliseconds(0)), PollOutcome::timed_out);
  watch_interrupt_flag(before);
}

TEST(BoundedPoll, WorkThatEndsWithinTheGraceIsDone) {
  // Ctrl-C during a healthy sample: the sample still ends as done, and the measurement loop, not
  // the wait, stops the run with the samples it has.
  WatchedFlag flag;
  flag.raise();
  const auto done_at = Clock::now() + milliseconds(50);
  EXPECT_EQ(poll_until_done([&] { return Clock::now() >= done_at; }, milliseconds(20'000), milliseconds(5'000)),
            PollOutcome::done);
}

TEST(BoundedPoll, AnInterruptBeforeTheWaitEndsItAfterTheGrace) {
  WatchedFlag flag;
  flag.raise();
  const auto start = Clock::now();
  EXPECT_EQ(poll_until_done(never_done, milliseconds(20'000), milliseconds(100)), PollOutcome::interrupted);
  const double took_s = seconds_since(start);
  EXPECT_GE(took_s, 0.1) << "ended before its grace: a sample about to finish would be lost";
  EXPECT_LT(took_s, 3.0);
}

TEST(BoundedPoll, DoneWorkReturnsAtOnceEvenInterrupted) {
  WatchedFlag flag;
  flag.raise();
  int polls = 0;
  EXPECT_EQ(poll_until_done([&] { return ++polls > 0; }, milliseconds(0), milliseconds(0)), PollOutcome::done);
  EXPECT_EQ(polls, 1);
}

TEST(BoundedPoll, AnErrorFromTheQueryPropagates) {
  EXPECT_THROW(poll_until_done([]() -> bool { throw std::runtime_error("illegal address"); }, milliseconds(1000)),
               std::runtime_error);
}

TEST(BoundedPoll, TheFlagIsReadEachPoll) {
  WatchedFlag flag;
  EXPECT_FALSE(wait_interrupt_requested());
  flag.raise();
  EXPECT_TRUE(wait_interrupt_requested());
}

}  // namespace
}  // namespace tb::kernels
