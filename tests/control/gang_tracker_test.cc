// GangTracker: when a multi-node job has ended, and with which rank's report.
#include "control/gang_tracker.h"

#include <gtest/gtest.h>

namespace fastgpu::control {
namespace {

AttemptReport Exit(int32_t code) {
  AttemptReport r;
  r.job = 7;
  r.attempt = 1;
  r.exited = true;
  r.exit_code = code;
  return r;
}

AttemptReport Killed(int32_t signal) {
  AttemptReport r = Exit(0);
  r.exit_code.reset();
  r.signal = signal;
  return r;
}

TEST(GangTrackerTest, EndsWhenEveryRankHasExited) {
  GangTracker g;
  g.Exited(7, 1, Exit(0));
  EXPECT_FALSE(g.Failed(7));
  EXPECT_FALSE(g.Outcome(7, 2).has_value());  // rank 0 still runs
  g.Exited(7, 0, Exit(0));
  ASSERT_TRUE(g.Outcome(7, 2).has_value());
  EXPECT_EQ(g.Outcome(7, 2)->exit_code, 0);  // all exited 0: success
}

TEST(GangTrackerTest, TheFirstFailureIsTheOutcomeNotTheRanksStoppedForIt) {
  GangTracker g;
  g.Exited(7, 1, Exit(3));  // rank 1 fails first
  EXPECT_TRUE(g.Failed(7));
  g.Exited(7, 0, Killed(15));  // rank 0 was stopped because of it
  ASSERT_TRUE(g.Outcome(7, 2).has_value());
  EXPECT_EQ(g.Outcome(7, 2)->exit_code, 3);
  EXPECT_FALSE(g.Outcome(7, 2)->signal.has_value());
}

TEST(GangTrackerTest, RanksThatNeverRanComeLast) {
  GangTracker g;
  AttemptReport never = Exit(0);
  never.exit_code.reset();
  never.error = "did not start";
  g.Exited(7, 0, never, /*ran=*/false);
  g.Exited(7, 1, Exit(2));
  EXPECT_EQ(g.Outcome(7, 2)->exit_code, 2);
  EXPECT_TRUE(g.HasExited(7, 0));
  g.Exited(7, 1, Exit(9));  // a repeated report changes nothing
  EXPECT_EQ(g.Outcome(7, 2)->exit_code, 2);
  g.Forget(7);
  EXPECT_FALSE(g.HasExited(7, 1));
  EXPECT_FALSE(g.Outcome(7, 2).has_value());
}

}  // namespace
}  // namespace fastgpu::control
