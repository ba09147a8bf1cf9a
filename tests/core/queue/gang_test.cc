// Multi-node jobs (gangs): N distinct nodes at once or nothing, usage and quotas over every
// rank, rendezvous ports, reservations over several nodes, and no preemption either way.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "core/model/gang.h"
#include "core/queue/queue_fixture.h"

namespace fastgpu::core {
namespace {

using test_util::GpuNode;
using test_util::MustApply;
using test_util::QueueTest;
using test_util::TenantJob;
using ::testing::HasSubstr;

QueuedJob GangJob(JobId id, int nodes, int gpus_each, int64_t time_limit_s = 0,
                  int32_t priority = 0) {
  QueuedJob job = TenantJob(id, "t", gpus_each, priority, time_limit_s);
  job.request.nodes = nodes;
  return job;
}

std::set<std::string> NodesOf(const Placement& p) {
  std::set<std::string> out;
  for (const Placement* part : Ranks(p)) out.insert(part->node);
  return out;
}

class GangTest : public QueueTest {
 protected:
  void SetUp() override {
    for (const char* name : {"a", "b", "c"}) MustApply(state_, NodeUpserted{GpuNode(name, 4)});
  }
};

TEST_F(GangTest, PlacesEveryRankOnItsOwnNodeWithAPort) {
  Queue(GangJob(1, 2, 4));
  std::vector<Decision> d = PlanAndCommit(0);
  ASSERT_EQ(d.size(), 1u);
  ASSERT_EQ(d[0].verdict, Verdict::kPlaced);
  const Placement& p = *d[0].placement;
  // Expected: rank 0 on a, rank 1 on b (bestfit, ties by name), 4 whole GPUs each.
  EXPECT_EQ(p.node, "a");
  ASSERT_EQ(p.peers.size(), 1u);
  EXPECT_EQ(p.peers[0].node, "b");
  EXPECT_EQ(p.devices.size(), 4u);
  EXPECT_EQ(p.peers[0].devices.size(), 4u);
  EXPECT_TRUE(p.peers[0].peers.empty());
  EXPECT_EQ(p.port, 29500);
  EXPECT_EQ(p.peers[0].port, 0);
  EXPECT_EQ(WorldSize(p), 2);
  EXPECT_EQ(RankOn(p, "b"), 1);
  EXPECT_EQ(RankOn(p, "c"), -1);
  // Both nodes are full now; c is untouched.
  for (const char* name : {"a", "b"}) {
    for (const Slice& s : state_.nodes().Get(name)->used) EXPECT_EQ(s.milli, 1000) << name;
  }
  for (const Slice& s : state_.nodes().Get("c")->used) EXPECT_EQ(s.milli, 0);
}

TEST_F(GangTest, NeverPartial) {
  Run(TenantJob(1, "t", 2), 0);  // a: 2 of 4 GPUs busy
  Run(TenantJob(2, "t", 1), 0);  // ... and one more: bestfit keeps packing a
  Queue(GangJob(3, 3, 4));       // needs a, b and c whole
  std::vector<Decision> d = PlanAndCommit(0);
  const Decision* gang = Find(d, 3, Verdict::kWait);
  ASSERT_NE(gang, nullptr);
  EXPECT_EQ(gang->reason,
            "waiting for 3 nodes that can each hold one rank (4 GPUs and 0 CPUs and 0MiB of "
            "memory); 2 nodes can now");
  // Nothing of job 3 is held anywhere: b and c are still idle.
  EXPECT_EQ(state_.running().count(3), 0u);
  for (const char* name : {"b", "c"}) {
    for (const Slice& s : state_.nodes().Get(name)->used) EXPECT_EQ(s.milli, 0) << name;
  }
  // When a frees up, all three ranks start together.
  MustApply(state_, JobReleased{1});
  MustApply(state_, JobReleased{2});
  d = PlanAndCommit(1000);
  ASSERT_NE(Find(d, 3, Verdict::kPlaced), nullptr);
  EXPECT_EQ(NodesOf(state_.running().at(3).placement), (std::set<std::string>{"a", "b", "c"}));
}

TEST_F(GangTest, MoreNodesThanTheClusterHasIsInfeasible) {
  Configure(QueueOptions{});
  const Status st = scheduler_->CheckFeasible(state_, GangJob(1, 4, 1).request);
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(),
              HasSubstr("it needs 4 nodes that can each hold one rank, and 3 nodes can"));
  Queue(GangJob(2, 4, 1));
  std::vector<Decision> d = Plan(0);
  ASSERT_NE(Find(d, 2, Verdict::kInfeasible), nullptr);
  EXPECT_TRUE(scheduler_->CheckFeasible(state_, GangJob(3, 3, 4).request).ok());
}

TEST_F(GangTest, SlicesCannotSpanNodes) {
  QueuedJob job = GangJob(1, 2, 1);
  job.request.gpu_milli = 500;
  Configure(QueueOptions{});
  const Status st = scheduler_->CheckFeasible(state_, job.request);
  EXPECT_THAT(st.message(), HasSubstr("a multi-node job takes whole GPUs or no GPU"));
}

TEST_F(GangTest, UsageAndQuotaCountEveryRank) {
  QueueOptions options;
  options.tenants["t"].max_gpus = 6;
  Configure(options);
  Queue(GangJob(1, 2, 4));  // 8 GPUs in all: over the max of 6
  std::vector<Decision> d = Plan(0);
  const Decision* w = Find(d, 1, Verdict::kWait);
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->reason, "over quota: tenant t holds 0 of its max 6 GPUs and this job needs 8");
}

TEST_F(GangTest, TwoGangsWithRankZeroOnOneNodeGetDifferentPorts) {
  Queue(GangJob(1, 2, 2));
  Queue(GangJob(2, 2, 2));
  std::vector<Decision> d = PlanAndCommit(0);
  const Decision* first = Find(d, 1, Verdict::kPlaced);
  const Decision* second = Find(d, 2, Verdict::kPlaced);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  // Expected: bestfit packs both onto a and b, rank 0 on a each time: ports 29500 and 29501.
  EXPECT_EQ(first->placement->node, "a");
  EXPECT_EQ(second->placement->node, "a");
  EXPECT_EQ(first->placement->port, 29500);
  EXPECT_EQ(second->placement->port, 29501);
  // A later Plan sees the bound ports: a third gang on a takes 29502.
  MustApply(state_, NodeUpserted{GpuNode("a", 6)});
  MustApply(state_, NodeUpserted{GpuNode("b", 6)});
  Queue(GangJob(3, 2, 2));
  d = PlanAndCommit(0);
  ASSERT_NE(Find(d, 3, Verdict::kPlaced), nullptr);
  EXPECT_EQ(Find(d, 3, Verdict::kPlaced)->placement->port, 29502);
}

TEST_F(GangTest, BindRejectsTwoRanksOnOneNodeAndReleaseFreesEveryRank) {
  Queue(GangJob(1, 2, 1));
  Placement p;
  p.node = "a";
  p.devices = {DeviceGrant{0, "a-gpu0", Slice{1000, 80 * test_util::kGiB}}};
  Placement peer = p;
  p.peers = {peer};  // rank 1 on a as well
  EXPECT_FALSE(state_.Apply(JobBound{1, p, 0}).ok());
  p.peers[0].node = "b";
  p.peers[0].devices[0].uuid = "b-gpu0";
  MustApply(state_, JobBound{1, p, 0});
  EXPECT_EQ(state_.nodes().Get("b")->used[0].milli, 1000);
  MustApply(state_, JobReleased{1});
  EXPECT_EQ(state_.nodes().Get("a")->used[0].milli, 0);
  EXPECT_EQ(state_.nodes().Get("b")->used[0].milli, 0);
}

// The gang at the head reserves the nodes it will start on; a job that would delay it does
// not start there, a job on another node does.
TEST_F(GangTest, ReservationSpansTheGangsNodes) {
  Run(TenantJob(1, "t", 4, 0, /*time_limit_s=*/100), 0);  // a full until 100 s
  Run(TenantJob(9, "t", 4), 0);                           // b full, no limit
  Queue(GangJob(2, 2, 4));                                // needs two whole nodes: c now, a at 100 s
  Queue(TenantJob(3, "t", 1, 0, /*time_limit_s=*/500));   // would delay the gang on c
  std::vector<Decision> d = Plan(10000);
  const Decision* head = Find(d, 2, Verdict::kWait);
  ASSERT_NE(head, nullptr);
  EXPECT_THAT(head->reason, HasSubstr("expected to start in 90s on nodes a, c"));
  const Decision* late = Find(d, 3, Verdict::kWait);
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->reason,
            "reserved for job 2: starting now would delay its expected start in 90s on nodes a, c");
}

TEST_F(GangTest, GangsAreNeitherVictimsNorPreemptors) {
  Queue(GangJob(1, 3, 4, 0, /*priority=*/0));
  PlanAndCommit(0);
  ASSERT_EQ(state_.running().count(1), 1u);
  Queue(TenantJob(2, "t", 4, /*priority=*/10));  // higher priority, no room
  std::vector<Decision> d = PlanAndCommit(0);
  EXPECT_EQ(Find(d, 1, Verdict::kPreempt), nullptr);
  ASSERT_NE(Find(d, 2, Verdict::kWait), nullptr);
  MustApply(state_, JobReleased{1});
  Run(TenantJob(3, "t", 4, /*priority=*/-5), 0);
  Queue(GangJob(4, 3, 4, 0, /*priority=*/10));
  d = PlanAndCommit(0);
  EXPECT_EQ(Find(d, 3, Verdict::kPreempt), nullptr);
}

}  // namespace
}  // namespace fastgpu::core
