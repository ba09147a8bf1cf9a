// EASY backfill: small jobs run ahead of the first blocked job only when they do not delay
// its reserved start (runtime estimate = time_limit_s; see core/queue/backfill.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/queue/queue_fixture.h"

namespace fastgpu::core {
namespace {

using test_util::GpuNode;
using test_util::MustApply;
using test_util::QueueTest;
using test_util::TenantJob;
using ::testing::HasSubstr;

class BackfillTest : public QueueTest {
 protected:
  // Node a has 4 GPUs; job 1 holds 3 of them from t=0 with a 100 s limit. At t=10 s the head
  // (job 2, 4 GPUs) is reserved node a at t=100 s.
  void SetUp() override {
    MustApply(state_, NodeUpserted{GpuNode("a", 4)});
    Run(TenantJob(1, "t", 3, 0, /*time_limit_s=*/100), /*bound_ms=*/0);
    Queue(TenantJob(2, "t", 4));
  }
  static constexpr int64_t kNow = 10000;
};

// A job held at the gate (an unmet dependency, submit --after) is no head: it gets no
// reservation, so what the reservation would keep waiting starts now.
TEST_F(BackfillTest, AHeldJobReservesNothing) {
  MustApply(state_, JobHold{2, "waiting for job 9 to succeed"});
  Queue(TenantJob(4, "t", 1));  // no limit: would delay job 2 if job 2 were the head
  std::vector<Decision> d = Plan(kNow);
  ASSERT_EQ(d.size(), 2u);
  // Expected: 2 waits with its hold as the reason; 4 takes the free GPU at once.
  EXPECT_EQ(d[0].id, 2);
  EXPECT_EQ(d[0].verdict, Verdict::kWait);
  EXPECT_EQ(d[0].reason, "waiting for job 9 to succeed");
  EXPECT_EQ(d[1].id, 4);
  EXPECT_EQ(d[1].verdict, Verdict::kPlaced);
  // Released: 2 is the head again, reserved node a at 100 s, and 4 waits behind it.
  MustApply(state_, JobHold{2, ""});
  d = Plan(kNow);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].id, 2);
  EXPECT_EQ(d[0].queue_position, 1);
  EXPECT_EQ(d[1].id, 4);
  EXPECT_EQ(d[1].verdict, Verdict::kWait) << d[1].reason;
}

TEST_F(BackfillTest, ShortJobBackfillsLongJobWaitsForTheReservation) {
  Queue(TenantJob(3, "t", 1, 0, /*time_limit_s=*/500));  // ends at 510 s: would delay job 2
  Queue(TenantJob(4, "t", 1));                           // no limit: would delay job 2
  Queue(TenantJob(5, "t", 1, 0, /*time_limit_s=*/50));   // ends at 60 s < 100 s: backfills
  std::vector<Decision> d = Plan(kNow);
  ASSERT_EQ(d.size(), 4u);
  // Expected: 2 waits at position 1 with its reservation; 3 and 4 wait, reserved; 5 placed.
  EXPECT_EQ(d[0].id, 2);
  EXPECT_EQ(d[0].verdict, Verdict::kWait);
  EXPECT_EQ(d[0].queue_position, 1);
  EXPECT_EQ(d[0].reason,
            "waiting for 4 whole GPUs on one node; the most idle on one node is 1; "
            "expected to start in 90s on node a");
  EXPECT_EQ(d[1].id, 3);
  EXPECT_EQ(d[1].verdict, Verdict::kWait);
  EXPECT_EQ(d[1].queue_position, 2);
  EXPECT_EQ(d[1].reason,
            "reserved for job 2: starting now would delay its expected start in 90s on node a");
  EXPECT_EQ(d[2].id, 4);
  EXPECT_EQ(d[2].verdict, Verdict::kWait);
  EXPECT_EQ(d[2].queue_position, 3);
  EXPECT_THAT(d[2].reason, HasSubstr("reserved for job 2"));
  EXPECT_EQ(d[3].id, 5);
  EXPECT_EQ(d[3].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[3].placement->node, "a");
}

TEST_F(BackfillTest, LongJobRunsOnANodeTheHeadDoesNotNeed) {
  MustApply(state_, NodeUpserted{GpuNode("b", 2)});  // job 2 (4 GPUs) can never use b
  Queue(TenantJob(4, "t", 1, 0, /*time_limit_s=*/500));
  std::vector<Decision> d = Plan(kNow);
  // Expected: bestfit picks a's last GPU (tightest), which is reserved; b holds it instead.
  ASSERT_NE(Find(d, 4, Verdict::kPlaced), nullptr);
  EXPECT_EQ(Find(d, 4, Verdict::kPlaced)->placement->node, "b");
}

TEST_F(BackfillTest, HeadWithoutAnEstimateGetsNoReservation) {
  // Job 1's twin without a limit: when what job 2 waits for is held without an estimate, it
  // gets no reservation and later jobs use what is free (documented rule).
  MustApply(state_, JobReleased{2});  // out of the queue while job 6 starts
  MustApply(state_, JobReleased{1});
  Run(TenantJob(6, "t", 3), /*bound_ms=*/0);
  Queue(TenantJob(2, "t", 4));
  Queue(TenantJob(7, "t", 1, 0, /*time_limit_s=*/500));
  std::vector<Decision> d = Plan(kNow);
  EXPECT_NE(Find(d, 2, Verdict::kWait), nullptr);
  EXPECT_NE(Find(d, 7, Verdict::kPlaced), nullptr);
}

TEST_F(BackfillTest, BackfillOffKeepsStrictOrder) {
  QueueOptions options;
  options.backfill = false;
  Configure(options);
  Queue(TenantJob(3, "t", 1, 0, /*time_limit_s=*/50));
  std::vector<Decision> d = Plan(kNow);
  // Expected: 3 would not delay 2, but with backfill off nothing runs ahead of it.
  ASSERT_NE(Find(d, 3, Verdict::kWait), nullptr);
  EXPECT_EQ(Find(d, 3, Verdict::kWait)->reason,
            "behind job 2, which waits first (backfill is off)");
  EXPECT_EQ(Find(d, 3, Verdict::kWait)->queue_position, 2);
}

TEST_F(BackfillTest, ReservationCountsJobsThatFinishFirst) {
  // A 1-GPU job with no limit fits a's last GPU only if the head still fits at 100 s with it
  // running: it does not (job 2 needs all 4). A 2nd node would change that, tested above.
  Queue(TenantJob(8, "t", 1));
  std::vector<Decision> d = Plan(kNow);
  EXPECT_NE(Find(d, 8, Verdict::kWait), nullptr);
  // At 100 s job 1 ends; then the head is placed first.
  MustApply(state_, JobReleased{1});
  d = Plan(100000);
  EXPECT_EQ(d[0].id, 2);
  EXPECT_EQ(d[0].verdict, Verdict::kPlaced);
}

}  // namespace
}  // namespace fastgpu::core
