#include "core/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/cluster_builder.h"

namespace fastgpu::core {
namespace {

using test_util::GpuNode;
using test_util::HostJob;
using test_util::kGiB;
using test_util::MustApply;
using test_util::SliceJob;
using test_util::WholeJob;
using ::testing::HasSubstr;

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest() : scheduler_(std::move(MakePlacementPolicy("bestfit")).value()) {}

  std::vector<Decision> Plan() { return scheduler_.Plan(state_, Instant{1000}, rng_); }

  // Plans, then commits every kPlaced decision as JobBound (as the controller does).
  std::vector<Decision> PlanAndCommit() {
    std::vector<Decision> decisions = Plan();
    for (const Decision& d : decisions) {
      if (d.verdict == Verdict::kPlaced) MustApply(state_, JobBound{d.id, *d.placement});
    }
    return decisions;
  }

  void Queue(const QueuedJob& job) { MustApply(state_, JobQueued{job}); }

  Scheduler scheduler_;
  ClusterState state_;
  Rng rng_{42};
};

TEST_F(SchedulerTest, SeedCaseTwoNodesThreeTenGpuJobs) {
  MustApply(state_, NodeUpserted{GpuNode("n1", 10)});
  MustApply(state_, NodeUpserted{GpuNode("n2", 10)});
  Queue(WholeJob(1, 10, 0, 1));
  Queue(WholeJob(2, 10, 0, 2));
  Queue(WholeJob(3, 10, 0, 3));
  // Expected: job 1 -> n1, job 2 -> n2 (n1 is taken), job 3 waits first in line.
  std::vector<Decision> d = PlanAndCommit();
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[0].placement->node, "n1");
  EXPECT_EQ(d[0].placement->devices.size(), 10u);
  EXPECT_EQ(d[0].queue_position, 0);
  EXPECT_EQ(d[1].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[1].placement->node, "n2");
  EXPECT_EQ(d[2].id, 3);
  EXPECT_EQ(d[2].verdict, Verdict::kWait);
  EXPECT_EQ(d[2].queue_position, 1);
  EXPECT_EQ(d[2].reason, "waiting for 10 whole GPUs on one node; the most idle on one node is 0");
  EXPECT_FALSE(d[2].placement.has_value());
  // Job 1 finishes: the next Plan places job 3 on n1.
  MustApply(state_, JobReleased{1});
  d = PlanAndCommit();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].id, 3);
  EXPECT_EQ(d[0].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[0].placement->node, "n1");
}

TEST_F(SchedulerTest, FourQuarterGpuJobsShareOneGpuFifthWaits) {
  MustApply(state_, NodeUpserted{GpuNode("sim", 1)});
  for (JobId id = 1; id <= 5; ++id) Queue(SliceJob(id, 250));
  // Expected: jobs 1-4 each get 250 milli + 20GiB of device 0; job 5 waits (position 1).
  std::vector<Decision> d = PlanAndCommit();
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(d[i].verdict, Verdict::kPlaced) << i;
    EXPECT_EQ(d[i].placement->devices.at(0).index, 0);
    EXPECT_EQ(d[i].placement->devices.at(0).slice, (Slice{250, 20 * kGiB}));
  }
  EXPECT_EQ(d[4].verdict, Verdict::kWait);
  EXPECT_EQ(d[4].queue_position, 1);
  EXPECT_THAT(d[4].reason, HasSubstr("waiting for a slice of 250 milli"));
  EXPECT_THAT(d[4].reason, HasSubstr("the largest free is 0 milli + 0MiB"));
  EXPECT_EQ(state_.nodes().Get("sim")->used[0], (Slice{1000, 80 * kGiB}));
}

TEST_F(SchedulerTest, BestFitFillsOneGpuBeforeTheNext) {
  MustApply(state_, NodeUpserted{GpuNode("sim", 2)});
  for (JobId id = 1; id <= 5; ++id) Queue(SliceJob(id, 250));
  // Expected: 1-4 on device 0 (within one Plan, against scratch capacity), 5 on device 1.
  std::vector<Decision> d = PlanAndCommit();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(d[i].placement->devices.at(0).index, 0) << i;
  EXPECT_EQ(d[4].placement->devices.at(0).index, 1);
}

// An unhealthy device gets no new work, but still counts for feasibility: a job that needs it
// waits (the device may come back) instead of failing as infeasible.
TEST_F(SchedulerTest, UnhealthyDeviceGetsNoNewWorkAndJobsWait) {
  NodeSpec spec = GpuNode("n", 2);
  spec.devices[0].healthy = false;
  MustApply(state_, NodeUpserted{spec});
  Queue(WholeJob(1, 2, 0, 1));
  Queue(WholeJob(2, 1, 0, 2));
  // Expected: job 1 (both GPUs) waits; job 2 gets device 1, the healthy one.
  std::vector<Decision> d = PlanAndCommit();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].id, 1);
  EXPECT_EQ(d[0].verdict, Verdict::kWait);
  EXPECT_EQ(d[1].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[1].placement->devices.at(0).index, 1);
  // The device recovers (the agent reports it healthy again): job 1 still waits for job 2;
  // once job 2 ends, job 1 runs on both.
  spec.devices[0].healthy = true;
  MustApply(state_, NodeUpserted{spec});
  MustApply(state_, JobReleased{2});
  d = PlanAndCommit();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[0].placement->devices.size(), 2u);
}

// A device that becomes healthy again takes waiting work at the next Plan, with nothing else
// changed (no job released): what the scheduler caches about a node includes device health.
TEST_F(SchedulerTest, DeviceHealthyAgainTakesWaitingWork) {
  NodeSpec spec = GpuNode("n", 2);
  spec.devices[1].healthy = false;
  MustApply(state_, NodeUpserted{spec});
  Queue(WholeJob(1, 1, 0, 1));
  Queue(WholeJob(2, 1, 0, 2));
  std::vector<Decision> d = PlanAndCommit();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1].verdict, Verdict::kWait);
  spec.devices[1].healthy = true;
  MustApply(state_, NodeUpserted{spec});
  d = PlanAndCommit();
  ASSERT_EQ(d.size(), 1u);
  ASSERT_EQ(d[0].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[0].placement->devices.at(0).index, 1);
}

TEST_F(SchedulerTest, HigherPriorityGoesFirst) {
  MustApply(state_, NodeUpserted{GpuNode("a", 4)});
  Queue(WholeJob(1, 4, /*priority=*/0, /*submit_ms=*/1));
  Queue(WholeJob(2, 4, /*priority=*/5, /*submit_ms=*/2));
  Queue(WholeJob(3, 4, /*priority=*/0, /*submit_ms=*/0));
  // Expected order 2 (priority 5), 3 (earlier submit), 1. Only 2 fits; 3 waits at 1, 1 at 2.
  std::vector<Decision> d = Plan();
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].id, 2);
  EXPECT_EQ(d[0].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[1].id, 3);
  EXPECT_EQ(d[1].queue_position, 1);
  EXPECT_EQ(d[2].id, 1);
  EXPECT_EQ(d[2].queue_position, 2);
}

TEST_F(SchedulerTest, SmallerJobsBehindAWaitingJobStillRun) {
  MustApply(state_, NodeUpserted{GpuNode("a", 4)});
  Queue(WholeJob(1, 8, 1));  // fits no node now or ever (infeasible, not counted as waiting)
  Queue(WholeJob(2, 3, 1));
  Queue(WholeJob(3, 2, 0));  // waits: 1 GPU left
  Queue(WholeJob(4, 1, 0));  // fits the last GPU
  std::vector<Decision> d = Plan();
  EXPECT_EQ(d[0].verdict, Verdict::kInfeasible);
  EXPECT_EQ(d[0].queue_position, 0);
  EXPECT_EQ(d[1].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[2].verdict, Verdict::kWait);
  EXPECT_EQ(d[2].queue_position, 1);
  EXPECT_EQ(d[3].verdict, Verdict::kPlaced);
}

TEST_F(SchedulerTest, InfeasibleJobs) {
  MustApply(state_, NodeUpserted{GpuNode("n1", 10)});
  MustApply(state_, NodeUpserted{GpuNode("n2", 10)});
  MustApply(state_, NodeReadiness{"n2", false});
  Queue(WholeJob(1, 16));
  QueuedJob h100 = WholeJob(2, 1);
  h100.request.gpu_models = {"H100"};
  Queue(h100);
  // Expected: 16 GPUs never fit a 10-GPU node; no node has an H100.
  std::vector<Decision> d = Plan();
  EXPECT_EQ(d[0].verdict, Verdict::kInfeasible);
  EXPECT_EQ(d[0].reason, "no node can ever hold it: needs 16 GPUs, node has 10");
  EXPECT_EQ(d[0].queue_position, 0);
  EXPECT_EQ(d[1].verdict, Verdict::kInfeasible);
  EXPECT_EQ(d[1].reason, "no node can ever hold it: no device of model H100");
  // CheckFeasible agrees, naming the field "resources"; a 10-GPU request is fine.
  const Status s = scheduler_.CheckFeasible(state_, WholeJob(0, 16).request);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "resources");
  EXPECT_THAT(s.message(), HasSubstr("needs 16 GPUs, node has 10"));
  EXPECT_TRUE(scheduler_.CheckFeasible(state_, WholeJob(0, 10).request).ok());
}

TEST_F(SchedulerTest, InfeasibleReasonListsDifferentNodes) {
  MustApply(state_, NodeUpserted{GpuNode("a", 2)});
  MustApply(state_, NodeUpserted{GpuNode("b", 4)});
  Queue(WholeJob(1, 8));
  EXPECT_EQ(Plan()[0].reason,
            "no node can ever hold it: a: needs 8 GPUs, node has 2; b: needs 8 GPUs, node has 4");
}

TEST_F(SchedulerTest, CheckFeasibleWithoutNodesAndForMalformedRequests) {
  // No node registered yet: any well-formed request is accepted (it waits).
  EXPECT_TRUE(scheduler_.CheckFeasible(state_, WholeJob(0, 64).request).ok());
  // A malformed request is rejected even then.
  QueuedJob bad = SliceJob(0, 250);
  bad.request.gpu_count = 2;
  const Status s = scheduler_.CheckFeasible(state_, bad.request);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.field(), "resources");
}

TEST_F(SchedulerTest, WaitsWhenNoNodeIsReadyOrRegistered) {
  Queue(WholeJob(1, 1));
  std::vector<Decision> d = Plan();
  EXPECT_EQ(d[0].verdict, Verdict::kWait);
  EXPECT_EQ(d[0].reason, "no nodes registered");
  MustApply(state_, NodeUpserted{GpuNode("a", 1)});
  MustApply(state_, NodeReadiness{"a", false});
  d = Plan();
  EXPECT_EQ(d[0].verdict, Verdict::kWait);  // fits a when it comes back
  EXPECT_EQ(d[0].reason, "no ready nodes (1 registered)");
}

TEST_F(SchedulerTest, FragmentationIsNamed) {
  MustApply(state_, NodeUpserted{GpuNode("a", 4)});
  MustApply(state_, NodeUpserted{GpuNode("b", 4)});
  Queue(WholeJob(1, 2, 9));
  Queue(WholeJob(2, 2, 9));
  PlanAndCommit();
  // Expected: both 2-GPU jobs on a (the first ties by name, the second leaves a with 0 idle).
  EXPECT_EQ(state_.bound().at(1).node, "a");
  EXPECT_EQ(state_.bound().at(2).node, "a");
  Queue(WholeJob(3, 3, 9));
  Queue(WholeJob(4, 3, 9));
  PlanAndCommit();  // job 3 -> b (3 of 4), job 4 waits: b has 1 idle, a 0
  MustApply(state_, JobReleased{1});  // a: 2 idle, b: 1 idle -> 3 in total, 2 at most
  std::vector<Decision> d = Plan();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, Verdict::kWait);
  EXPECT_EQ(d[0].reason,
            "waiting for 3 whole GPUs on one node; the most idle on one node is 2 "
            "(fragmentation: 3 idle in total)");
}

TEST_F(SchedulerTest, SliceFragmentationIsNamed) {
  MustApply(state_, NodeUpserted{GpuNode("a", 2)});
  Queue(SliceJob(1, 600));
  Queue(SliceJob(2, 600));
  PlanAndCommit();  // one per device: 400 milli + 32GiB free on each
  Queue(SliceJob(3, 500));
  std::vector<Decision> d = Plan();
  EXPECT_EQ(d[0].verdict, Verdict::kWait);
  EXPECT_EQ(d[0].reason,
            "waiting for a slice of 500 milli + proportional memory on one device; the largest "
            "free is 400 milli + 32GiB (fragmentation: 800 milli + 64GiB free in total)");
}

TEST_F(SchedulerTest, HostResourcesReasons) {
  MustApply(state_, NodeUpserted{GpuNode("a", 2)});  // 64 CPUs, 512GiB
  QueuedJob big_cpu = WholeJob(1, 1, /*priority=*/2);
  big_cpu.request.cpu_milli = 60000;
  Queue(big_cpu);                  // placed: 4 CPUs and 1 GPU left
  QueuedJob host = HostJob(2, 8000, kGiB);
  host.priority = 1;
  Queue(host);                     // waits: 8 CPUs wanted, 4 free
  QueuedJob gpu_and_cpu = WholeJob(3, 1);
  gpu_and_cpu.request.cpu_milli = 8000;
  Queue(gpu_and_cpu);              // waits: the idle GPU is there, the CPUs are not
  std::vector<Decision> d = Plan();
  EXPECT_EQ(d[0].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[1].reason,
            "waiting for 8 CPUs and 1GiB of memory on one node; the most free is 4 CPUs and "
            "512GiB");
  EXPECT_EQ(d[2].reason,
            "waiting for host resources: no node with 1 GPU idle has 8 CPUs and 0MiB of memory "
            "free; behind higher-priority job 2");
}

TEST_F(SchedulerTest, WholeGpuJobNeverLandsOnASlicedDevice) {
  MustApply(state_, NodeUpserted{GpuNode("a", 1)});
  Queue(SliceJob(1, 10, 1));  // the smallest slice: 10 milli + 1MiB
  Queue(WholeJob(2, 1));
  // Expected: the slice takes device 0; the whole GPU must wait, not share it.
  std::vector<Decision> d = PlanAndCommit();
  EXPECT_EQ(d[0].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[1].verdict, Verdict::kWait);
  EXPECT_EQ(d[1].reason, "waiting for 1 whole GPU on one node; the most idle on one node is 0");
  // A memory-only slice also makes the device non-idle.
  MustApply(state_, JobReleased{1});
  MustApply(state_, JobReleased{2});
  Queue(SliceJob(3, 0, 1024));
  Queue(WholeJob(4, 1));
  d = Plan();
  EXPECT_EQ(d[0].verdict, Verdict::kPlaced);
  EXPECT_EQ(d[1].verdict, Verdict::kWait);
}

TEST_F(SchedulerTest, PlanIsConstAndDeterministic) {
  MustApply(state_, NodeUpserted{GpuNode("a", 4)});
  MustApply(state_, NodeUpserted{GpuNode("b", 2)});
  for (JobId id = 1; id <= 6; ++id) Queue(id % 2 ? WholeJob(id, 2) : SliceJob(id, 300));
  const auto nodes = state_.nodes();
  const auto queued = state_.queued();
  // Expected: two Plans (even with differently seeded Rngs) give identical decisions, and
  // the state is exactly as before.
  Rng other(999);
  std::vector<Decision> first = Plan();
  std::vector<Decision> second = scheduler_.Plan(state_, Instant{5}, other);
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].id, second[i].id);
    EXPECT_EQ(first[i].verdict, second[i].verdict);
    EXPECT_EQ(first[i].placement, second[i].placement);
    EXPECT_EQ(first[i].reason, second[i].reason);
    EXPECT_EQ(first[i].queue_position, second[i].queue_position);
  }
  EXPECT_EQ(state_.nodes(), nodes);
  EXPECT_EQ(state_.queued(), queued);
  EXPECT_TRUE(state_.bound().empty());
}

TEST_F(SchedulerTest, ManyIdenticalWaitingJobsGetTheirOwnPositions) {
  MustApply(state_, NodeUpserted{GpuNode("a", 1)});
  for (JobId id = 1; id <= 100; ++id) Queue(WholeJob(id, 1, 0, id));
  // Expected: job 1 placed; jobs 2..100 wait at positions 1..99 with the same reason.
  std::vector<Decision> d = Plan();
  EXPECT_EQ(d[0].verdict, Verdict::kPlaced);
  for (size_t i = 1; i < d.size(); ++i) {
    EXPECT_EQ(d[i].id, static_cast<JobId>(i + 1));
    EXPECT_EQ(d[i].queue_position, static_cast<int32_t>(i));
    EXPECT_EQ(d[i].reason, d[1].reason);
  }
}

}  // namespace
}  // namespace fastgpu::core
