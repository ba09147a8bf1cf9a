// A node that does not isolate tenants, kept to one tenant at a time when the server asks for
// it (QueueOptions::single_tenant_unisolated).
#include <gtest/gtest.h>

#include "core/queue/queue_fixture.h"

namespace fastgpu::core {
namespace {

using test_util::GpuNode;
using test_util::MustApply;
using test_util::QueueTest;
using test_util::TenantJob;

NodeSpec Unisolated(const std::string& name, int gpus) {
  NodeSpec n = GpuNode(name, gpus);
  n.isolates_tenants = false;
  return n;
}

TEST_F(QueueTest, UnisolatedNodeRunsOneTenantAtATime) {
  QueueOptions options;
  options.single_tenant_unisolated = true;
  Configure(options);
  MustApply(state_, NodeUpserted{Unisolated("u", 4)});
  Queue(TenantJob(1, "a", 1));
  Queue(TenantJob(2, "b", 1));
  Queue(TenantJob(3, "a", 1));
  std::vector<Decision> d = PlanAndCommit(0);
  // Expected: a's job takes the node; b's waits although GPUs are free, and is the head;
  // a's second job may not add to a's hold while b waits for the node (no starvation).
  EXPECT_NE(Find(d, 1, Verdict::kPlaced), nullptr);
  ASSERT_NE(Find(d, 2, Verdict::kWait), nullptr);
  ASSERT_NE(Find(d, 3, Verdict::kWait), nullptr);
  MustApply(state_, JobReleased{1});
  d = PlanAndCommit(1);
  // Expected: the node is free again; the queue order (fair share: a and b tie, a first by
  // name) picks one tenant, and the other's job waits: never both at once.
  EXPECT_NE(Find(d, 3, Verdict::kPlaced), nullptr);
  EXPECT_NE(Find(d, 2, Verdict::kWait), nullptr);
  MustApply(state_, JobReleased{3});
  d = PlanAndCommit(2);
  EXPECT_NE(Find(d, 2, Verdict::kPlaced), nullptr);
}

TEST_F(QueueTest, OneTenantFillsAnUnisolatedNode) {
  QueueOptions options;
  options.single_tenant_unisolated = true;
  Configure(options);
  MustApply(state_, NodeUpserted{Unisolated("u", 4)});
  Queue(TenantJob(1, "a", 1));
  Queue(TenantJob(2, "a", 1));
  Queue(TenantJob(3, "a", 2));
  std::vector<Decision> d = PlanAndCommit(0);
  // Expected: all three, 4 GPUs in all: one tenant shares its node with itself.
  for (JobId id : {1, 2, 3}) EXPECT_NE(Find(d, id, Verdict::kPlaced), nullptr) << id;
}

TEST_F(QueueTest, IsolatingNodesAndTheDefaultStayShared) {
  MustApply(state_, NodeUpserted{Unisolated("u", 2)});  // the option is off: shared
  Queue(TenantJob(1, "a", 1));
  Queue(TenantJob(2, "b", 1));
  std::vector<Decision> d = PlanAndCommit(0);
  EXPECT_NE(Find(d, 1, Verdict::kPlaced), nullptr);
  EXPECT_NE(Find(d, 2, Verdict::kPlaced), nullptr);
}

TEST_F(QueueTest, OtherTenantsGoToIsolatingNodes) {
  QueueOptions options;
  options.single_tenant_unisolated = true;
  Configure(options);
  MustApply(state_, NodeUpserted{Unisolated("u", 2)});
  MustApply(state_, NodeUpserted{GpuNode("v", 2)});
  Queue(TenantJob(1, "a", 1));
  Queue(TenantJob(2, "b", 1));
  Queue(TenantJob(3, "c", 1));
  std::vector<Decision> d = PlanAndCommit(0);
  // Expected: whichever tenant lands on u first keeps it; the others share v.
  std::map<std::string, std::set<std::string>> tenants_on;
  for (JobId id : {1, 2, 3}) {
    const Decision* placed = Find(d, id, Verdict::kPlaced);
    ASSERT_NE(placed, nullptr) << id;
    tenants_on[placed->placement->node].insert(state_.running().at(id).job.tenant);
  }
  EXPECT_EQ(tenants_on["u"].size(), 1u);
  EXPECT_EQ(tenants_on["v"].size(), 2u);
}

}  // namespace
}  // namespace fastgpu::core
