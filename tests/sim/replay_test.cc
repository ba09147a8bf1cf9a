// The time replay on tiny clusters whose outcome can be worked out by hand: each test writes
// out the start times, waits, shares and utilization it expects.

#include "sim/replay.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "sim/trace.h"

namespace fastgpu::sim {
namespace {

core::NodeSpec Node(const std::string& name, int gpus) {
  core::NodeSpec spec;
  spec.name = name;
  spec.cpu_milli = 64000;
  spec.memory_mib = 256 * 1024;
  for (int i = 0; i < gpus; ++i) {
    spec.devices.push_back({i, name + "-" + std::to_string(i), "G", kTraceGpuMemoryMib});
  }
  return spec;
}

ReplayTask Task(int gpus, int64_t arrival, int64_t runtime, std::string tenant = "t",
                int32_t priority = 0) {
  ReplayTask t;
  t.request.gpu_count = gpus;
  t.arrival_s = arrival;
  t.runtime_s = runtime;
  t.tenant = std::move(tenant);
  t.priority = priority;
  return t;
}

ReplayReport Replayed(ReplayInput in) {
  Result<ReplayReport> r = RunReplay(in);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  return r.ok() ? *r : ReplayReport{};
}

TEST(ReplayTest, TasksWaitForDepartures) {
  // 2 GPUs: A takes both for 100 s; B and C (1 GPU each, at 10 s) start when A ends.
  ReplayInput in;
  in.nodes = {Node("n", 2)};
  in.tasks = {Task(2, 0, 100), Task(1, 10, 50), Task(1, 10, 50)};
  const ReplayReport r = Replayed(in);
  EXPECT_EQ(r.tasks, 3);
  EXPECT_EQ(r.started, 3);
  EXPECT_EQ(r.span_s, 150);                  // 0 .. 150
  EXPECT_DOUBLE_EQ(r.utilization_pct, 100);  // both GPUs held over the arrival window 0..10
  EXPECT_DOUBLE_EQ(r.peak_alloc_pct, 100);
  EXPECT_EQ(r.wait_p50_s, 90);  // waits 0, 90, 90
  EXPECT_EQ(r.wait_max_s, 90);
  EXPECT_DOUBLE_EQ(r.wait_mean_s, 60);
  EXPECT_EQ(r.plans, 4);  // at 0, 10, 100 and 150 s
}

TEST(ReplayTest, HalfUsedClusterIsHalfUtilized) {
  ReplayInput in;
  // 2 of 4 GPUs held from the first arrival (0 s) to the last (100 s); the second task runs
  // on past the window, which utilization leaves out.
  in.nodes = {Node("a", 2), Node("b", 2)};
  in.tasks = {Task(2, 0, 100), Task(2, 100, 1000)};
  const ReplayReport r = Replayed(in);
  EXPECT_EQ(r.window_s, 100);
  EXPECT_EQ(r.span_s, 1100);
  EXPECT_DOUBLE_EQ(r.utilization_pct, 50);
  EXPECT_DOUBLE_EQ(r.tenants.at("t").gpu_hours, 2 * (100 + 1000) / 3600.0);
}

// One 4-GPU node. A holds 2 GPUs until 100 s, so the head H (4 GPUs, from 1 s) is reserved
// the node at 100 s. S (1 GPU for 50 s, at 2 s) ends before that and backfills; L (1 GPU for
// 200 s, at 3 s) would delay H and waits until H is done at 110 s.
ReplayInput BackfillInput() {
  ReplayInput in;
  in.nodes = {Node("n", 4)};
  in.tasks = {Task(2, 0, 100), Task(4, 1, 10), Task(1, 2, 50), Task(1, 3, 200)};
  return in;
}

TEST(ReplayTest, SmallJobBackfillsAndOneThatWouldDelayTheHeadWaits) {
  const ReplayReport r = Replayed(BackfillInput());
  EXPECT_EQ(r.started, 4);
  // Waits: A 0, H 99 (1 -> 100), S 0, L 107 (3 -> 110).
  EXPECT_EQ(r.wait_max_s, 107);
  EXPECT_DOUBLE_EQ(r.wait_mean_s, (0 + 99 + 0 + 107) / 4.0);
  EXPECT_EQ(r.span_s, 310);  // L ends at 110 + 200
}

TEST(ReplayTest, WithoutBackfillNothingPassesTheHead) {
  ReplayInput in = BackfillInput();
  in.queue.backfill = false;
  const ReplayReport r = Replayed(in);
  // Waits: A 0, H 99, S 108 (2 -> 110), L 107 (3 -> 110).
  EXPECT_EQ(r.wait_max_s, 108);
  EXPECT_DOUBLE_EQ(r.wait_mean_s, (0 + 99 + 108 + 107) / 4.0);
}

TEST(ReplayTest, WeightedFairShareOfASaturatedPool) {
  // 8 GPUs, tenants a (weight 1) and b (weight 3) each with more 1-GPU work than the pool:
  // every round of 100 s gives b 6 GPUs and a 2, so a's 100 and b's 300 tasks end together.
  ReplayInput in;
  in.nodes = {Node("n1", 4), Node("n2", 4)};
  for (int i = 0; i < 100; ++i) in.tasks.push_back(Task(1, 0, 100, "a"));
  for (int i = 0; i < 300; ++i) in.tasks.push_back(Task(1, 0, 100, "b"));
  in.queue.tenants["b"].weight = 3;
  const ReplayReport r = Replayed(in);
  EXPECT_EQ(r.started, 400);
  EXPECT_EQ(r.span_s, 5000);  // 400 GPU-rounds / 8 GPUs x 100 s
  EXPECT_NEAR(r.tenants.at("a").share_pct, 25, 5);
  EXPECT_NEAR(r.tenants.at("b").share_pct, 75, 5);
  EXPECT_NEAR(r.tenants.at("a").mean_wait_s, r.tenants.at("b").mean_wait_s, 100);
}

TEST(ReplayTest, PreemptedTaskHoldsItsGraceThenRunsAgain) {
  // lo holds the 4-GPU node from 0 for 1000 s; hi (priority 1, at 10 s) preempts it. lo stops
  // after the 30 s grace (40 s), hi runs 40..140, lo runs again from scratch 140..1140.
  ReplayInput in;
  in.nodes = {Node("n", 4)};
  in.tasks = {Task(4, 0, 1000, "lo", 0), Task(4, 10, 100, "hi", 1)};
  in.queue.preemption_grace_ms = 30000;
  const ReplayReport r = Replayed(in);
  EXPECT_EQ(r.preemptions, 1);
  EXPECT_EQ(r.span_s, 1140);
  EXPECT_DOUBLE_EQ(r.utilization_pct, 100);
  EXPECT_EQ(r.tenants.at("hi").mean_wait_s, 30);
  EXPECT_DOUBLE_EQ(r.tenants.at("lo").gpu_hours, 4 * (40 + 1000) / 3600.0);
  EXPECT_DOUBLE_EQ(r.tenants.at("hi").gpu_hours, 4 * 100 / 3600.0);
}

TEST(ReplayTest, InfeasibleTasksAreDroppedAndCounted) {
  ReplayInput in;
  in.nodes = {Node("n", 4)};
  in.tasks = {Task(8, 0, 10), Task(1, 0, 10)};
  const ReplayReport r = Replayed(in);
  EXPECT_EQ(r.infeasible, 1);
  EXPECT_EQ(r.started, 1);
}

TEST(ReplayTest, BadInputIsRefused) {
  ReplayInput in;
  in.nodes = {Node("n", 0)};
  EXPECT_EQ(RunReplay(in).error().field(), "nodes");
  in.nodes = {Node("n", 1)};
  in.tick_s = 0;
  EXPECT_EQ(RunReplay(in).error().field(), "tick");
  in.tick_s = 1;
  in.policy = "nope";
  EXPECT_EQ(RunReplay(in).error().field(), "policy");
}

TEST(ReplayTest, TimedPodsTakeTheirRuntimeFromScheduledOrCreationTime) {
  const std::string path = ::testing::TempDir() + "/timed_pods.csv";
  {
    std::ofstream f(path);
    f << "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
         "deletion_time,scheduled_time\n"
         "p0,1000,100,1,500,,LS,Running,10,110,20\n"
         "p1,1000,100,0,0,,BE,Pending,30,40,\n";
  }
  Result<std::vector<TimedPod>> pods = LoadTimedPods(path);
  ASSERT_TRUE(pods.ok()) << pods.error().ToString();
  ASSERT_EQ(pods->size(), 2u);
  EXPECT_EQ((*pods)[0].creation_s, 10);
  EXPECT_EQ((*pods)[0].runtime_s, 90);  // 110 - 20
  EXPECT_EQ((*pods)[0].qos, "LS");
  EXPECT_EQ((*pods)[0].request.gpu_milli, 500);
  EXPECT_EQ((*pods)[1].runtime_s, 10);  // never scheduled: 40 - 30
  {
    std::ofstream f(path);
    f << "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,100,1,1000\n";
  }
  Result<std::vector<TimedPod>> untimed = LoadTimedPods(path);
  ASSERT_FALSE(untimed.ok());
  EXPECT_NE(untimed.error().message().find("creation_time"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace fastgpu::sim
