// Per-tenant quotas: max_gpus caps what a tenant holds; guaranteed_gpus go first and may be
// lent to others while idle (borrowing), then taken back by preemption.
#include <gtest/gtest.h>

#include "core/queue/queue_fixture.h"

namespace fastgpu::core {
namespace {

using test_util::GpuNode;
using test_util::MustApply;
using test_util::QueueTest;
using test_util::TenantJob;

TEST_F(QueueTest, MaxGpusCapsATenantWithAReason) {
  QueueOptions options;
  options.tenants["a"].max_gpus = 2;
  Configure(options);
  MustApply(state_, NodeUpserted{GpuNode("n", 8)});
  Queue(TenantJob(1, "a", 1));
  Queue(TenantJob(2, "a", 1));
  Queue(TenantJob(3, "a", 1));
  Queue(TenantJob(4, "b", 4));
  std::vector<Decision> d = PlanAndCommit(0);
  // Expected: 1 and 2 run; 3 waits over quota (6 GPUs are free); b's job runs.
  ASSERT_NE(Find(d, 3, Verdict::kWait), nullptr);
  EXPECT_EQ(Find(d, 3, Verdict::kWait)->reason,
            "over quota: tenant a holds 2 of its max 2 GPUs and this job needs 1");
  EXPECT_EQ(Find(d, 3, Verdict::kWait)->queue_position, 1);
  EXPECT_EQ(GpusByTenant()["a"], 2);
  EXPECT_EQ(GpusByTenant()["b"], 4);
  // When one of a's jobs ends, 3 runs.
  MustApply(state_, JobReleased{1});
  d = PlanAndCommit(1000);
  EXPECT_NE(Find(d, 3, Verdict::kPlaced), nullptr);
}

TEST_F(QueueTest, GuaranteedTenantGoesFirstAtEqualShare) {
  QueueOptions options;
  options.tenants["z"].guaranteed_gpus = 2;
  Configure(options);
  MustApply(state_, NodeUpserted{GpuNode("n", 2)});
  Queue(TenantJob(1, "a", 2));
  Queue(TenantJob(2, "z", 2));
  std::vector<Decision> d = Plan(0);
  // Expected: z is below its guarantee, so its job goes first although "a" < "z".
  EXPECT_EQ(d[0].id, 2);
  EXPECT_EQ(d[0].verdict, Verdict::kPlaced);
}

TEST_F(QueueTest, BorrowedCapacityIsReclaimedForTheGuaranteedTenant) {
  QueueOptions options;
  options.tenants["a"].guaranteed_gpus = 6;
  options.tenants["b"].guaranteed_gpus = 2;
  Configure(options);
  MustApply(state_, NodeUpserted{GpuNode("n", 8)});
  // b borrows a's idle guarantee: 8 one-GPU jobs, started at t = 1..8 s.
  for (JobId id = 1; id <= 8; ++id) Run(TenantJob(id, "b", 1), id * 1000);
  EXPECT_EQ(GpusByTenant()["b"], 8);
  Queue(TenantJob(20, "a", 4));
  std::vector<Decision> d = PlanAndCommit(10000);
  // Expected: a (0 of its 6 held) reclaims 4 GPUs from b's borrowed 6: the four most recently
  // started b jobs 5..8 are preempted; b keeps 4 (>= its guarantee of 2).
  std::vector<JobId> victims;
  for (const Decision& x : d) {
    if (x.verdict == Verdict::kPreempt) {
      EXPECT_EQ(x.for_job, 20);
      victims.push_back(x.id);
    }
  }
  EXPECT_EQ(victims, (std::vector<JobId>{5, 6, 7, 8}));
  ASSERT_NE(Find(d, 20, Verdict::kWait), nullptr);
  EXPECT_EQ(Find(d, 20, Verdict::kWait)->reason,
            "waiting for 4 whole GPUs on one node; the most idle on one node is 0; "
            "preempting jobs 5, 6, 7, 8 on node n (grace 30s)");
  // The victims stop and go back to the queue; then a's job runs and b's requeued jobs wait.
  for (JobId id = 5; id <= 8; ++id) Requeue(id);
  d = PlanAndCommit(20000);
  EXPECT_NE(Find(d, 20, Verdict::kPlaced), nullptr);
  EXPECT_EQ(GpusByTenant()["a"], 4);
  EXPECT_EQ(GpusByTenant()["b"], 4);
}

TEST_F(QueueTest, WithinItsGuaranteeWorkIsNotPreemptedForBorrowers) {
  QueueOptions options;
  options.tenants["a"].guaranteed_gpus = 4;
  options.tenants["b"].guaranteed_gpus = 4;
  Configure(options);
  MustApply(state_, NodeUpserted{GpuNode("n", 8)});
  Run(TenantJob(1, "a", 4), 0);
  Run(TenantJob(2, "b", 4), 0);
  Queue(TenantJob(3, "a", 2));  // a would exceed its guarantee: it may not preempt b
  std::vector<Decision> d = Plan(1000);
  for (const Decision& x : d) EXPECT_NE(x.verdict, Verdict::kPreempt);
  EXPECT_NE(Find(d, 3, Verdict::kWait), nullptr);
}

}  // namespace
}  // namespace fastgpu::core
