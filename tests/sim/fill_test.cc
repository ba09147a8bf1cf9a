// The fill experiment on a small synthetic cluster and trace: inflation, determinism, and
// golden allocation figures per policy so that a policy or simulator regression shows.

#include "sim/fill.h"

#include <gtest/gtest.h>

#include "sim/fill_report.h"
#include "sim/trace.h"

namespace fastgpu::sim {
namespace {

core::NodeSpec Node(const std::string& name, int gpus, const std::string& model, int cpus) {
  core::NodeSpec spec;
  spec.name = name;
  spec.cpu_milli = cpus * 1000;
  spec.memory_mib = 256 * 1024;
  for (int i = 0; i < gpus; ++i) {
    spec.devices.push_back({i, name + "-" + std::to_string(i), model, kTraceGpuMemoryMib});
  }
  return spec;
}

core::ResourceRequest Task(int cpus, int gpus, int milli, std::vector<std::string> models = {}) {
  core::ResourceRequest r;
  r.cpu_milli = cpus * 1000;
  r.memory_mib = 8192;
  r.gpu_count = gpus;
  r.gpu_milli = gpus > 0 ? milli : 1000;
  r.gpu_models = std::move(models);
  return r;
}

// 8 nodes, 40 GPUs: 3 x 8 G2, 4 x 2 T4, 1 x 8 V100 with few CPUs. A trace shaped like the
// Alibaba one: many slices (810, 470, 320 milli), whole 1/2/4/8-GPU jobs, cpu-only tasks and a
// few model-constrained ones.
FillInput SmallInput() {
  FillInput in;
  for (int i = 0; i < 3; ++i) in.nodes.push_back(Node("g2-" + std::to_string(i), 8, "G2", 96));
  for (int i = 0; i < 4; ++i) in.nodes.push_back(Node("t4-" + std::to_string(i), 2, "T4", 64));
  in.nodes.push_back(Node("v100", 8, "V100", 32));
  for (int i = 0; i < 6; ++i) in.tasks.push_back(Task(6, 1, 810));
  for (int i = 0; i < 5; ++i) in.tasks.push_back(Task(4, 1, 470));
  for (int i = 0; i < 3; ++i) in.tasks.push_back(Task(2, 1, 320));
  for (int i = 0; i < 8; ++i) in.tasks.push_back(Task(8, 1, 1000));
  in.tasks.push_back(Task(16, 2, 1000));
  in.tasks.push_back(Task(32, 4, 1000));
  in.tasks.push_back(Task(64, 8, 1000));
  for (int i = 0; i < 4; ++i) in.tasks.push_back(Task(12, 0, 0));
  in.tasks.push_back(Task(4, 1, 1000, {"T4"}));
  in.tasks.push_back(Task(4, 1, 500, {"V100", "T4"}));
  in.workload = core::BuildWorkloadProfile(in.tasks);
  in.inflate = 1.3;
  return in;
}

TEST(FillTest, InflatesToTheTargetWithClones) {
  const FillInput in = SmallInput();
  EXPECT_EQ(CapacityMilli(in.nodes), 40000);
  const std::vector<core::ResourceRequest> tasks = SeededTasks(in, 42);
  int64_t requested = 0;
  for (const auto& r : tasks) requested += r.gpu_count > 0 ? int64_t{r.gpu_count} * r.gpu_milli : 0;
  // Originals request 6*810 + 5*470 + 3*320 + 8000 + 2000 + 4000 + 8000 + 1000 + 500 = 31,670
  // milli; clones stop just before 1.3 * 40,000 = 52,000 (a last multi-GPU clone may pass it
  // by less than its size).
  EXPECT_GT(tasks.size(), in.tasks.size());
  EXPECT_GT(requested, 52000 - 8000);
  EXPECT_LT(requested, 52000 + 8000);
  // Same seed, same order; another seed, another order.
  EXPECT_EQ(SeededTasks(in, 42), tasks);
  EXPECT_NE(SeededTasks(in, 43), tasks);
}

struct Golden {
  const char* policy;
  int64_t placed;
  double alloc_at_100;
};

// Golden figures for seed 42 (recorded from this implementation; a change means placements
// changed: check it is intended, then update).
TEST(FillTest, GoldenAllocationPerPolicy) {
  const FillInput in = SmallInput();
  const Golden goldens[] = {
      {"random", 35, 86.675}, {"bestfit", 35, 86.60}, {"pack", 36, 85.725},
      {"spread", 43, 79.40}, {"fgd", 36, 85.35},     {"fgd+", 36, 85.725},
  };
  // fgd+ here: multi-GPU tasks ask 14,000 of the 31,670 milli (44 %, over
  // FgdPolicy::kMultiGpuShareLimit), so it has no tolerance and differs from fgd only by
  // planning for every shape (fgd's 95 % cut drops the rarest ones).
  for (const Golden& g : goldens) {
    Result<FillRun> run = RunFill(in, g.policy, 42);
    ASSERT_TRUE(run.ok()) << run.error().ToString();
    ASSERT_GT(run->alloc_pct.size(), 100u);
    EXPECT_EQ(run->placed, g.placed) << g.policy;
    EXPECT_NEAR(run->alloc_pct[100], g.alloc_at_100, 0.005) << g.policy;
    // Allocation never exceeds arrival (+ rounding) nor 100 %.
    for (size_t a = 0; a < run->alloc_pct.size(); ++a) {
      EXPECT_LE(run->alloc_pct[a], std::min<double>(100, static_cast<double>(a) + 1)) << a;
    }
  }
}

TEST(FillTest, ParallelRunsMatchSerialOnes) {
  const FillInput in = SmallInput();
  Result<std::vector<FillRun>> runs = RunFills(in, {"bestfit", "fgd+"}, {1, 2, 3}, 2);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 6u);
  EXPECT_EQ((*runs)[4].policy, "fgd+");
  EXPECT_EQ((*runs)[4].seed, 2u);
  EXPECT_EQ((*runs)[4].alloc_pct, RunFill(in, "fgd+", 2)->alloc_pct);
  const FillSummary s = Summarize(*runs);
  EXPECT_EQ(s.policies, (std::vector<std::string>{"bestfit", "fgd+"}));
  EXPECT_NE(AllocSvg(s, "t").find("<polyline"), std::string::npos);
  EXPECT_EQ(SummaryCsv(s).substr(0, 35), "policy,arrived_pct,alloc_pct_median");
  EXPECT_FALSE(RunFill(in, "nope", 1).ok());
}

}  // namespace
}  // namespace fastgpu::sim
