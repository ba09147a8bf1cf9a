// Preemption of lower-priority work: the right victim, and the grace period honoured (the
// victim keeps its resources until it is released; nothing else is preempted meanwhile).
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

class PreemptionTest : public QueueTest {
 protected:
  void SetUp() override { MustApply(state_, NodeUpserted{GpuNode("n", 4)}); }
  std::vector<JobId> Victims(const std::vector<Decision>& d) {
    std::vector<JobId> out;
    for (const Decision& x : d) {
      if (x.verdict == Verdict::kPreempt) out.push_back(x.id);
    }
    return out;
  }
};

TEST_F(PreemptionTest, MostRecentlyStartedLowPriorityJobIsTheVictim) {
  Run(TenantJob(1, "t", 2, /*priority=*/0), 1000);
  Run(TenantJob(2, "t", 2, /*priority=*/0), 2000);
  Queue(TenantJob(3, "t", 2, /*priority=*/5));
  std::vector<Decision> d = PlanAndCommit(5000);
  // Expected: one victim is enough; job 2 started later (less work lost).
  EXPECT_EQ(Victims(d), (std::vector<JobId>{2}));
  EXPECT_EQ(Find(d, 2, Verdict::kPreempt)->for_job, 3);
  EXPECT_EQ(Find(d, 2, Verdict::kPreempt)->reason, "preempted for job 3");
  // The kPreempt decision comes right before the job it makes room for.
  EXPECT_EQ(d[0].verdict, Verdict::kPreempt);
  EXPECT_EQ(d[1].id, 3);
}

TEST_F(PreemptionTest, LowestPriorityGoesFirstThenOnlyWhatIsNeeded) {
  Run(TenantJob(1, "t", 2, /*priority=*/1), 1000);
  Run(TenantJob(2, "t", 1, /*priority=*/3), 2000);
  Run(TenantJob(3, "t", 1, /*priority=*/2), 3000);
  Queue(TenantJob(4, "t", 2, /*priority=*/5));
  // Expected: job 1 (priority 1) frees 2 GPUs alone; 2 and 3 are spared.
  EXPECT_EQ(Victims(PlanAndCommit(5000)), (std::vector<JobId>{1}));
}

TEST_F(PreemptionTest, EqualOrHigherPriorityIsNeverPreempted) {
  Run(TenantJob(1, "t", 4, /*priority=*/5), 1000);
  Queue(TenantJob(2, "t", 2, /*priority=*/5));
  std::vector<Decision> d = PlanAndCommit(5000);
  EXPECT_TRUE(Victims(d).empty());
  EXPECT_NE(Find(d, 2, Verdict::kWait), nullptr);
}

TEST_F(PreemptionTest, GraceIsHonouredUntilTheVictimIsReleased) {
  Run(TenantJob(1, "t", 2, /*priority=*/0), 1000);
  Run(TenantJob(2, "t", 2, /*priority=*/0), 2000);
  Queue(TenantJob(3, "t", 4, /*priority=*/5));
  std::vector<Decision> d = PlanAndCommit(5000);
  EXPECT_EQ(Victims(d), (std::vector<JobId>{1, 2}));
  Queue(TenantJob(4, "t", 1, /*priority=*/0));
  // During the grace (29 s later, the victims not yet stopped): no new victims, job 3 waits
  // for them, and the victims' GPUs go to nobody else.
  d = PlanAndCommit(5000 + 29000);
  EXPECT_TRUE(Victims(d).empty());
  ASSERT_NE(Find(d, 3, Verdict::kWait), nullptr);
  EXPECT_THAT(Find(d, 3, Verdict::kWait)->reason,
              HasSubstr("waiting for preempted jobs 1, 2 to stop"));
  EXPECT_NE(Find(d, 4, Verdict::kWait), nullptr);
  EXPECT_TRUE(state_.running().at(1).preempting);
  // The victims stop and are requeued: job 3 runs first (priority), 1, 2 and 4 wait.
  Requeue(1);
  Requeue(2);
  d = PlanAndCommit(40000);
  EXPECT_EQ(d[0].id, 3);
  EXPECT_EQ(d[0].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[0].placement->devices.size(), 4u);
  EXPECT_TRUE(Victims(d).empty());
}

TEST_F(PreemptionTest, OffMeansNoVictims) {
  QueueOptions options;
  options.preemption = false;
  Configure(options);
  Run(TenantJob(1, "t", 4, /*priority=*/0), 1000);
  Queue(TenantJob(2, "t", 4, /*priority=*/9));
  EXPECT_TRUE(Victims(PlanAndCommit(5000)).empty());
}

TEST_F(PreemptionTest, GangIsNeverPartial) {
  // 2 GPUs free on each of two nodes: a 4-GPU job does not get 2 + 2, and waits naming the
  // fragmentation; jobs of 1..3 GPUs always get exactly their count on one node.
  QueueOptions options;
  options.preemption = false;
  Configure(options);
  MustApply(state_, NodeUpserted{GpuNode("m", 4)});
  Run(TenantJob(1, "t", 2), 0);  // n
  Run(TenantJob(2, "t", 2), 0);  // n (best fit)
  Run(TenantJob(5, "t", 2), 0);  // m
  MustApply(state_, JobReleased{2});
  Queue(TenantJob(3, "t", 4));
  std::vector<Decision> d = Plan(1000);
  ASSERT_NE(Find(d, 3, Verdict::kWait), nullptr);
  EXPECT_THAT(Find(d, 3, Verdict::kWait)->reason, HasSubstr("fragmentation: 4 idle in total"));
  Rng sizes(99);
  for (JobId id = 10; id < 40; ++id) Queue(TenantJob(id, "t", 1 + static_cast<int>(sizes.Uniform(3))));
  for (const Decision& x : PlanAndCommit(2000)) {
    if (x.verdict != Verdict::kPlaced) continue;
    EXPECT_EQ(static_cast<int>(x.placement->devices.size()),
              state_.running().at(x.id).job.request.gpu_count);
  }
}

}  // namespace
}  // namespace fastgpu::core
