// Weighted DRF across tenants (core/queue/queue_sorter.h).
#include <gtest/gtest.h>

#include "core/queue/queue_fixture.h"

namespace fastgpu::core {
namespace {

using test_util::GpuNode;
using test_util::MustApply;
using test_util::QueueTest;
using test_util::TenantJob;

class FairShareTest : public QueueTest {
 protected:
  void SetUp() override {
    QueueOptions options;
    options.tenants["a"].weight = 1;
    options.tenants["b"].weight = 3;
    Configure(options);
    for (const char* name : {"n1", "n2", "n3", "n4"}) {
      MustApply(state_, NodeUpserted{GpuNode(name, 8)});  // 32 GPUs
    }
  }
  // Keeps `per_tenant` one-GPU jobs of each tenant queued.
  void TopUp(int per_tenant) {
    std::map<std::string, int> queued;
    for (const auto& [id, job] : state_.queued()) ++queued[job.tenant];
    for (const char* t : {"a", "b"}) {
      while (queued[t]++ < per_tenant) Queue(TenantJob(next_id_++, t, 1));
    }
  }
  JobId next_id_ = 1;
};

TEST_F(FairShareTest, WeightsOneToThreeSplitAnEmptyPool25To75) {
  TopUp(40);
  PlanAndCommit(0);
  // Expected: a 8 GPUs (25 %), b 24 GPUs (75 %); dominant shares 8/32/1 = 24/32/3.
  EXPECT_EQ(GpusByTenant()["a"], 8);
  EXPECT_EQ(GpusByTenant()["b"], 24);
}

TEST_F(FairShareTest, SaturatedPoolConvergesTo25And75Percent) {
  // Tenant a arrives first and takes the whole pool; then b's jobs queue too. As jobs end
  // (4 random ones per round), freed GPUs go to the tenant with the lower weighted share.
  for (int i = 0; i < 32; ++i) Queue(TenantJob(next_id_++, "a", 1));
  PlanAndCommit(0);
  EXPECT_EQ(GpusByTenant()["a"], 32);
  Rng pick(2024);
  double a_share = 1.0;
  for (int round = 1; round <= 60; ++round) {
    TopUp(10);
    std::vector<JobId> running;
    for (const auto& [id, bound] : state_.running()) running.push_back(id);
    for (int k = 0; k < 4 && !running.empty(); ++k) {
      const size_t at = pick.Uniform(running.size());
      MustApply(state_, JobReleased{running[at]});
      running.erase(running.begin() + static_cast<long>(at));
    }
    PlanAndCommit(round * 1000);
    a_share = GpusByTenant()["a"] / 32.0;
    EXPECT_EQ(GpusByTenant()["a"] + GpusByTenant()["b"], 32) << "round " << round;
  }
  // Expected after 60 rounds (240 jobs ended): a holds 25 % +- 5 %, b 75 % +- 5 %.
  EXPECT_NEAR(a_share, 0.25, 0.05);
  EXPECT_NEAR(1.0 - a_share, 0.75, 0.05);
}

TEST_F(FairShareTest, PriorityGoesBeforeFairShare) {
  QueueOptions options;  // equal weights
  Configure(options);
  Queue(TenantJob(1, "a", 8, /*priority=*/0));
  Queue(TenantJob(2, "b", 8, /*priority=*/5));
  std::vector<Decision> d = Plan(0);
  // Expected order: 2 (priority 5) first, then 1.
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].id, 2);
  EXPECT_EQ(d[1].id, 1);
}

TEST_F(FairShareTest, FifoSorterIgnoresTenants) {
  Configure(QueueOptions{}, "fifo");
  TopUp(40);
  PlanAndCommit(0);
  // Expected: ids 1..40 are a's and go first in submit order: a takes all 32 GPUs.
  EXPECT_EQ(GpusByTenant()["a"], 32);
  EXPECT_EQ(GpusByTenant().count("b"), 0u);
}

TEST_F(FairShareTest, UnknownSorterIsRejected) {
  Result<std::unique_ptr<QueueSorter>> s = MakeQueueSorter("lottery");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field(), "sorter");
}

}  // namespace
}  // namespace fastgpu::core
