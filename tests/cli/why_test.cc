// ExplainJob: the verdicts and actions of `fastgpu why`.
#include "cli/why.h"

#include <gtest/gtest.h>

namespace fastgpu::cli {
namespace {

Gpu Device(const std::string& node, int64_t index, int64_t free_milli,
           std::vector<GpuAllocation> allocs = {}) {
  Gpu g;
  g.node = node;
  g.index = index;
  g.model = "A100-80GB";
  g.memory_mib = 81920;
  g.free_milli = free_milli;
  g.free_memory_mib = 81920;
  g.allocations = std::move(allocs);
  return g;
}

Job Pending(int64_t count, int64_t milli) {
  Job j;
  j.id = 9;
  j.state = "pending";
  j.reason = "waiting";
  j.queue_position = 3;
  j.gpu_count = count;
  j.gpu_milli = milli;
  return j;
}

TEST(WhyTest, FitsNowSaysSoWithTheJobsAhead) {
  Pool pool;
  pool.gpus = {Device("n1", 0, 1000)};
  WhyAnswer a = ExplainJob(Pending(1, 1000), pool);
  EXPECT_EQ(a.verdict,
            "it fits now on n1; it starts at the scheduler's next pass, after the 2 "
            "jobs ahead");
  EXPECT_TRUE(a.actions.empty());
}

TEST(WhyTest, WaitsForTheFewestJobsToEnd) {
  Pool pool;
  // GPU 0 holds two quarter jobs (3, 4) and has 0.5 free; GPU 1 holds one whole job (5).
  // A 0.75 job needs one of them to end on GPU 0 (job 3 or 4: the first by size, then ID).
  pool.gpus = {Device("n1", 0, 500, {{3, "a", 250, 0}, {4, "b", 250, 0}}),
               Device("n1", 1, 0, {{5, "c", 1000, 0}})};
  WhyAnswer a = ExplainJob(Pending(1, 750), pool);
  EXPECT_EQ(a.verdict,
            "it needs 1 device with 0.75 GPU free each on one node and waits for "
            "room on n1");
  ASSERT_FALSE(a.actions.empty());
  EXPECT_EQ(a.actions[0], "job 3 (tenant a) ends on n1");
}

TEST(WhyTest, NeverFitsNamesTheFix) {
  Pool pool;
  pool.gpus = {Device("n1", 0, 1000), Device("n1", 1, 1000), Device("n2", 0, 1000)};
  WhyAnswer a = ExplainJob(Pending(4, 1000), pool);  // no node has 4 GPUs
  EXPECT_EQ(a.verdict.rfind("it can never start", 0), 0u) << a.verdict;
  ASSERT_GE(a.actions.size(), 2u);
  EXPECT_EQ(a.actions[0],
            "ask for at most 2 GPUs (--gpus): the largest ready node has 2 that "
            "match");
}

TEST(WhyTest, ModelsAndReadinessCount) {
  Pool pool;
  pool.gpus = {Device("n1", 0, 1000)};
  pool.gpus[0].node_ready = false;
  Job j = Pending(1, 1000);
  EXPECT_EQ(ExplainJob(j, pool).verdict.rfind("it can never start", 0), 0u);
  pool.gpus[0].node_ready = true;
  j.gpu_models = {"H100-80GB"};
  WhyAnswer a = ExplainJob(j, pool);
  EXPECT_EQ(a.verdict.rfind("it can never start", 0), 0u);
  EXPECT_NE(std::find(a.actions.begin(), a.actions.end(),
                      "accept more models (--gpu-model), or drop the model constraint"),
            a.actions.end());
}

TEST(WhyTest, RunningAndEndedJobsNeedNoAction) {
  Job j = Pending(1, 1000);
  j.state = "running";
  j.node = "n1";
  EXPECT_EQ(ExplainJob(j, Pool{}).verdict, "it is bound to n1");
  j.state = "failed";
  j.exit_code = 3;
  WhyAnswer a = ExplainJob(j, Pool{});
  EXPECT_EQ(a.verdict, "it has ended with exit code 3");
  EXPECT_TRUE(a.actions.empty());
  EXPECT_EQ(RenderWhy(j, a),
            "job 9 is failed\nreason:         waiting\nqueue position: 3\n"
            "verdict:        it has ended with exit code 3\n");
}

}  // namespace
}  // namespace fastgpu::cli
