// The deadline loop behind NCCL's non-blocking init and calls (kernels/comm/settle.hpp), on a fake
// clock: it returns as soon as the state settles, reports a failure as one, and gives up once the
// limit has passed, without sleeping for real.
#include "kernels/comm/settle.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace tb::kernels::comm {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct FakeClock {
  std::chrono::steady_clock::time_point t{};
  int pauses = 0;
  auto now() const { return t; }
  void pause(milliseconds step) {
    ++pauses;
    t += step;
  }
};

TEST(Settle, ReturnsAsSoonAsTheStateSettles) {
  FakeClock clock;
  int polls = 0;
  const auto s = settle([&] { return ++polls < 4 ? Progress::Pending : Progress::Done; }, seconds(300),
                        [&] { clock.pause(milliseconds(10)); }, [&] { return clock.now(); });
  EXPECT_EQ(s.state, Progress::Done);
  EXPECT_EQ(polls, 4);
  EXPECT_EQ(clock.pauses, 3);
  EXPECT_EQ(s.waited, milliseconds(30));
}

TEST(Settle, AFailureIsReportedAtOnce) {
  FakeClock clock;
  const auto s = settle([] { return Progress::Failed; }, seconds(300), [&] { clock.pause(milliseconds(10)); },
                        [&] { return clock.now(); });
  EXPECT_EQ(s.state, Progress::Failed);
  EXPECT_EQ(clock.pauses, 0);
}

TEST(Settle, GivesUpOnceTheLimitHasPassed) {
  FakeClock clock;
  int polls = 0;
  const auto s = settle(
      [&] {
        ++polls;
        return Progress::Pending;
      },
      seconds(300), [&] { clock.pause(milliseconds(50)); }, [&] { return clock.now(); });
  EXPECT_EQ(s.state, Progress::Pending);
  EXPECT_GT(s.waited, seconds(300));
  EXPECT_LE(s.waited, seconds(300) + milliseconds(50));
  // 300 s in 50 ms pauses: 6000 of them, one more poll past the limit and the final look.
  EXPECT_EQ(clock.pauses, 6001);
  EXPECT_EQ(polls, 6003);
}

TEST(Settle, AStateThatSettledAfterItsLastPollBeforeTheDeadlineIsNotATimeout) {
  FakeClock clock;
  int polls = 0;
  // Polled at 0 (pending), paused 1 s, polled at 1 s (pending, and past the 0.9 s limit), then
  // looked at once more: done by then.
  const auto s = settle([&] { return ++polls < 3 ? Progress::Pending : Progress::Done; }, milliseconds(900),
                        [&] { clock.pause(milliseconds(1000)); }, [&] { return clock.now(); });
  EXPECT_EQ(s.state, Progress::Done);
  EXPECT_EQ(polls, 3);
  EXPECT_EQ(clock.pauses, 1);
}

}  // namespace
}  // namespace tb::kernels::comm
