// The text views of views.h: the job table, the pool bars, the top frame.
#include "cli/views.h"

#include <gtest/gtest.h>

#include <sstream>

namespace fastgpu::cli {
namespace {

Gpu Device(const std::string& node, int64_t index, std::vector<GpuAllocation> allocs) {
  Gpu g;
  g.node = node;
  g.index = index;
  g.model = "A100-80GB";
  g.memory_mib = 81920;
  g.free_milli = 1000;
  g.free_memory_mib = 81920;
  for (const auto& a : allocs) {
    g.free_milli -= a.milli;
    g.free_memory_mib -= a.memory_mib;
  }
  g.allocations = std::move(allocs);
  return g;
}

size_t LongestLine(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  size_t longest = 0;
  while (std::getline(in, line)) longest = std::max(longest, line.size());
  return longest;
}

TEST(PoolBarsTest, SlicesByTenantAlternateCaseAndFreeIsDots) {
  Pool pool;
  // Two quarter jobs of tenant "a" and one half job of tenant "b" on one GPU.
  pool.gpus.push_back(Device("n1", 0, {{3, "a", 250, 0}, {4, "a", 250, 0}, {5, "b", 500, 0}}));
  pool.gpus.push_back(Device("n1", 1, {}));
  std::string out = RenderPoolBars(pool, 59, false);
  // 59 columns: name 4 + 2, model 9 + 2, brackets 2, 2 spaces, "free 0 80GiB/80GiB" 18, and a
  // 20-cell bar: 5 cells of job 3 (A), 5 of job 4 (a), 10 of job 5 (B).
  EXPECT_NE(out.find("n1/0  A100-80GB  [AAAAAaaaaaBBBBBBBBBB]  free 0 80GiB/80GiB"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("n1/1  A100-80GB  [....................]  free 1 80GiB/80GiB"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("A a: jobs 3 (0.25), 4 (0.25)\n"), std::string::npos) << out;
  EXPECT_NE(out.find("B b: jobs 5 (0.5)\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("\033["), std::string::npos) << "no colors unless asked";
}

TEST(PoolBarsTest, ATinySliceStillGetsACellAndLinesFitTheWidth) {
  Pool pool;
  pool.gpus.push_back(Device("node-with-a-long-name", 0, {{9, "t", 1, 0}}));
  std::string out = RenderPoolBars(pool, 60, false);
  EXPECT_NE(out.find("[A"), std::string::npos) << out;  // 1 milli -> 1 cell, not 0
  EXPECT_LE(LongestLine(out), 60u) << out;
}

TEST(PoolBarsTest, UnhealthyDevicesAreMarked) {
  Pool pool;
  pool.gpus.push_back(Device("n1", 0, {}));
  pool.gpus.back().healthy = false;
  pool.gpus.back().health = "XID 79 (1 critical XID error)";
  EXPECT_NE(RenderPoolBars(pool, 80, false).find("n1/0 (unhealthy)  "), std::string::npos);
}

TEST(PoolBarsTest, ColorsOnlyWhenAskedAndEmptyPoolSaysSo) {
  Pool pool;
  pool.gpus.push_back(Device("n1", 0, {{3, "a", 500, 0}}));
  EXPECT_NE(RenderPoolBars(pool, 80, true).find("\033[30;44m"), std::string::npos);
  EXPECT_EQ(RenderPoolBars(Pool{}, 80, false), "no GPUs in the pool\n");
}

TEST(JobTableTest, ColumnsAgeAndStateColor) {
  Job j;
  j.id = 7;
  j.name = "train";
  j.state = "running";
  j.gpu_count = 1;
  j.gpu_milli = 250;
  j.node = "n1";
  j.submitted_ms = 1000;
  Table t = JobTable({j}, 61'000);
  EXPECT_EQ(t.Render(),
            "ID   NAME    STATE     GPUS   NODE   AGE   REASON\n"
            "7    train   running   0.25   n1     1m\n");
  EXPECT_NE(t.Render(0, true).find("\033[32mrunning\033[0m"), std::string::npos);
}

TEST(TopFrameTest, FitsEightyByTwentyFourAndSaysHowManyJobsAreHidden) {
  Pool pool;
  for (int i = 0; i < 4; ++i)
    pool.gpus.push_back(Device("node-a", i, {{i + 1, "default", 1000, 0}}));
  std::vector<Job> jobs;
  for (int i = 1; i <= 40; ++i) {
    Job j;
    j.id = i;
    j.name = "job-with-a-rather-long-name-" + std::to_string(i);
    j.state = i <= 4 ? "running" : "pending";
    j.reason = "waiting for 1 GPU on one node; most free on one node: 0 of them, this is long";
    jobs.push_back(j);
  }
  std::string frame = RenderTopFrame("http://127.0.0.1:7400", pool, jobs, 0, 80, 24, false);
  EXPECT_LE(LongestLine(frame), 80u) << frame;
  EXPECT_EQ(std::count(frame.begin(), frame.end(), '\n'), 24) << frame;
  EXPECT_NE(frame.find("q quits"), std::string::npos);
  EXPECT_NE(frame.find("more jobs"), std::string::npos) << frame;
}

}  // namespace
}  // namespace fastgpu::cli
