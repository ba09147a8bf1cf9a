// The gate in front of placement: holds (dependencies), group limits (job arrays "%N") and
// the tenant's max_running_jobs.
#include <gtest/gtest.h>

#include "core/queue/queue_fixture.h"

namespace fastgpu::core {
namespace {

using test_util::GpuNode;
using test_util::MustApply;
using test_util::QueueTest;
using test_util::TenantJob;

TEST_F(QueueTest, HeldJobWaitsWithItsReasonAndNeverBlocksOthers) {
  MustApply(state_, NodeUpserted{GpuNode("n", 2)});
  QueuedJob held = TenantJob(1, "a", 2, /*priority=*/5);
  held.hold = "waiting for job 9 to succeed";
  Queue(held);
  Queue(TenantJob(2, "a", 2));
  std::vector<Decision> d = PlanAndCommit(0);
  // Expected: 1 waits with its hold; it is no head (no reservation), so 2 takes the node.
  ASSERT_NE(Find(d, 1, Verdict::kWait), nullptr);
  EXPECT_EQ(Find(d, 1, Verdict::kWait)->reason, "waiting for job 9 to succeed");
  EXPECT_NE(Find(d, 2, Verdict::kPlaced), nullptr);
  // Released: it is an ordinary job again (and waits for room).
  MustApply(state_, JobHold{1, ""});
  EXPECT_EQ(state_.queued().at(1).hold, "");
  MustApply(state_, JobReleased{2});
  d = PlanAndCommit(1);
  EXPECT_NE(Find(d, 1, Verdict::kPlaced), nullptr);
}

TEST_F(QueueTest, HoldOfAJobThatIsNotQueuedIsNotFound) {
  EXPECT_EQ(state_.Apply(JobHold{42, "x"}).code(), StatusCode::kNotFound);
}

TEST_F(QueueTest, GroupLimitRunsAtMostThatManyAtOnce) {
  MustApply(state_, NodeUpserted{GpuNode("n", 8)});
  for (JobId id = 1; id <= 5; ++id) {
    QueuedJob task = TenantJob(id, "a", 1);
    task.group = "array 1";
    task.group_limit = 2;
    Queue(task);
  }
  std::vector<Decision> d = PlanAndCommit(0);
  // Expected: 2 of the 5 tasks run although 8 GPUs are free.
  EXPECT_EQ(state_.running().size(), 2u);
  ASSERT_NE(Find(d, 3, Verdict::kWait), nullptr);
  EXPECT_EQ(Find(d, 3, Verdict::kWait)->reason,
            "array 1 runs 2 of its tasks at once (the limit)");
  MustApply(state_, JobReleased{1});
  PlanAndCommit(1);
  EXPECT_EQ(state_.running().size(), 2u);  // one left, one more started
  EXPECT_TRUE(state_.running().contains(3));
}

TEST_F(QueueTest, MaxRunningJobsCapsATenant) {
  QueueOptions options;
  options.tenants["a"].max_running_jobs = 1;
  Configure(options);
  MustApply(state_, NodeUpserted{GpuNode("n", 4)});
  Queue(TenantJob(1, "a", 1));
  Queue(TenantJob(2, "a", 1));
  Queue(TenantJob(3, "b", 1));
  std::vector<Decision> d = PlanAndCommit(0);
  // Expected: a runs one job, its second waits over quota; b is not limited.
  ASSERT_NE(Find(d, 2, Verdict::kWait), nullptr);
  EXPECT_EQ(Find(d, 2, Verdict::kWait)->reason, "over quota: tenant a runs 1 of its max 1 job");
  EXPECT_NE(Find(d, 3, Verdict::kPlaced), nullptr);
}

}  // namespace
}  // namespace fastgpu::core
