#include "core/policy/bestfit_policy.h"

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

class BestFitTest : public ::testing::Test {
 protected:
  std::optional<Placement> Place(const QueuedJob& job) {
    return policy_.Place(job, state_.nodes(), rng_);
  }
  // Queues and binds `job` where the policy puts it; fails the test when it finds no place.
  Placement Bind(const QueuedJob& job) {
    std::optional<Placement> p = Place(job);
    EXPECT_TRUE(p.has_value()) << "job " << job.id;
    if (!p) return {};
    MustApply(state_, JobQueued{job});
    MustApply(state_, JobBound{job.id, *p});
    return *p;
  }
  std::vector<int32_t> Indexes(const Placement& p) {
    std::vector<int32_t> out;
    for (const DeviceGrant& g : p.devices) out.push_back(g.index);
    return out;
  }

  BestFitPolicy policy_;
  ClusterState state_;
  Rng rng_{7};
};

TEST_F(BestFitTest, WholeGpusGoToNodeLeftWithFewestIdle) {
  MustApply(state_, NodeUpserted{GpuNode("a", 8)});
  MustApply(state_, NodeUpserted{GpuNode("b", 4)});
  MustApply(state_, NodeUpserted{GpuNode("c", 4)});
  // 3 GPUs: a would keep 5 idle, b and c 1 each; tie broken by name -> b, devices 0..2.
  const Placement p = Bind(WholeJob(1, 3));
  EXPECT_EQ(p.node, "b");
  EXPECT_EQ(Indexes(p), (std::vector<int32_t>{0, 1, 2}));
  // Grants carry the uuid and the whole device: 1000 milli + all 80GiB.
  EXPECT_EQ(p.devices[0].uuid, "b-gpu0");
  EXPECT_EQ(p.devices[0].slice, (Slice{1000, 80 * kGiB}));
  // 1 GPU next: b has exactly one idle left (leaves 0) -> b, device 3.
  const Placement q = Bind(WholeJob(2, 1));
  EXPECT_EQ(q.node, "b");
  EXPECT_EQ(Indexes(q), (std::vector<int32_t>{3}));
}

TEST_F(BestFitTest, WholeGpusSkipSlicedDevicesAndTakeLowestIdleIndexes) {
  MustApply(state_, NodeUpserted{GpuNode("a", 4)});
  Bind(SliceJob(1, 100));  // lands on device 0
  // 2 whole GPUs: device 0 holds a slice, so devices 1 and 2.
  EXPECT_EQ(Indexes(Bind(WholeJob(2, 2))), (std::vector<int32_t>{1, 2}));
  // 2 more: only device 3 is idle -> no place.
  EXPECT_FALSE(Place(WholeJob(3, 2)).has_value());
}

TEST_F(BestFitTest, SkipsNotReadyNodesAndNodesWithoutHostRoom) {
  MustApply(state_, NodeUpserted{GpuNode("a", 2)});
  MustApply(state_, NodeUpserted{GpuNode("b", 2)});
  MustApply(state_, NodeUpserted{GpuNode("c", 4)});
  MustApply(state_, NodeReadiness{"a", false});
  QueuedJob job = WholeJob(1, 2);
  job.request.cpu_milli = 60000;
  Bind(HostJob(9, 10000, 0));  // a is not ready; b has fewer free GPUs than c -> b
  // b has 54 CPUs free now, c 64: the job needing 60 CPUs goes to c although b fits tighter.
  EXPECT_EQ(Place(job)->node, "c");
}

TEST_F(BestFitTest, HonoursGpuModels) {
  MustApply(state_, NodeUpserted{GpuNode("a", 1, 80 * kGiB, "A100-80GB")});
  MustApply(state_, NodeUpserted{GpuNode("b", 2, 80 * kGiB, "H100")});
  QueuedJob job = WholeJob(1, 1);
  job.request.gpu_models = {"H100"};
  EXPECT_EQ(Place(job)->node, "b");  // a leaves fewer idle but has the wrong model
  QueuedJob slice = SliceJob(2, 500);
  slice.request.gpu_models = {"V100"};
  EXPECT_FALSE(Place(slice).has_value());
}

TEST_F(BestFitTest, SlicesPackOntoTheFullestNodeAndDevice) {
  MustApply(state_, NodeUpserted{GpuNode("a", 2)});
  MustApply(state_, NodeUpserted{GpuNode("b", 1)});
  // First slice: b would be left with 0.75 GPU free, a with 1.75 (same cpu) -> b, device 0.
  // Score: (256000 - 64000 - 16 * 750) / 2560 = 70 for b, 60 for a.
  const Placement p = Bind(SliceJob(1, 250));
  EXPECT_EQ(p.node, "b");
  EXPECT_EQ(Indexes(p), (std::vector<int32_t>{0}));
  // Proportional memory: 250 milli of 80GiB = 20GiB.
  EXPECT_EQ(p.devices[0].slice, (Slice{250, 20 * kGiB}));
  // Next three go to b/0 as well (the node left with the least free GPU).
  for (JobId id = 2; id <= 4; ++id) EXPECT_EQ(Bind(SliceJob(id, 250)).node, "b");
  EXPECT_EQ(state_.nodes().Get("b")->used[0], (Slice{1000, 80 * kGiB}));
  // b is full: the fifth goes to a/0, the sixth to a/0 too (the tightest device of a).
  EXPECT_EQ(Indexes(Bind(SliceJob(5, 250))), (std::vector<int32_t>{0}));
  const Placement q = Bind(SliceJob(6, 250));
  EXPECT_EQ(q.node, "a");
  EXPECT_EQ(Indexes(q), (std::vector<int32_t>{0}));
}

TEST_F(BestFitTest, SliceWithExplicitMemoryNeedsThatMemoryFree) {
  MustApply(state_, NodeUpserted{GpuNode("a", 1, 40 * kGiB)});
  MustApply(state_, NodeUpserted{GpuNode("b", 1, 80 * kGiB)});
  // 100 milli + 50GiB: only b's device has the memory.
  const Placement p = Bind(SliceJob(1, 100, 50 * kGiB));
  EXPECT_EQ(p.node, "b");
  EXPECT_EQ(p.devices[0].slice, (Slice{100, 50 * kGiB}));
  // Memory-only slice (0 milli + 30GiB): b would be left with 900 milli + 0, a with 1000 milli
  // + 10GiB -> b (least free compute after placing).
  EXPECT_EQ(Bind(SliceJob(2, 0, 30 * kGiB)).node, "b");
  // b is now out of memory: the next memory slice goes to a.
  EXPECT_EQ(Bind(SliceJob(3, 0, 10 * kGiB)).node, "a");
}

TEST_F(BestFitTest, HostOnlyJobsGoToLeastFreeCpu) {
  MustApply(state_, NodeUpserted{GpuNode("b", 0)});
  MustApply(state_, NodeUpserted{GpuNode("a", 0)});
  // Nothing requested: equal scores, first ready node by name.
  EXPECT_EQ(Place(HostJob(1, 0, 0))->node, "a");
  // Equal free cpu: tie by name -> a; then a has less free cpu -> a again.
  EXPECT_EQ(Bind(HostJob(2, 8000, kGiB)).node, "a");
  EXPECT_EQ(Bind(HostJob(3, 1000, kGiB)).node, "a");
  // Nobody has 100 CPUs.
  EXPECT_FALSE(Place(HostJob(4, 100000, 0)).has_value());
  // Nobody has 1TiB of memory.
  EXPECT_FALSE(Place(HostJob(5, 0, 1024 * kGiB)).has_value());
}

TEST(BestFitScoreTest, PaperFormula) {
  // trunc(100 * (1 - (0.5 * cpu / 128000 + 0.5 * gpu / 8000))).
  EXPECT_EQ(BestFitScore(0, 0), 100);
  EXPECT_EQ(BestFitScore(128000, 8000), 0);
  EXPECT_EQ(BestFitScore(64000, 4000), 50);
  EXPECT_EQ(BestFitScore(1000, 0), 99);  // 99.6 truncated
}

TEST_F(BestFitTest, MalformedRequestsAreNeverPlaced) {
  MustApply(state_, NodeUpserted{GpuNode("a", 4)});
  EXPECT_FALSE(Place(SliceJob(1, 0, 0)).has_value());  // empty slice
  QueuedJob two_slices = SliceJob(2, 500);
  two_slices.request.gpu_count = 2;
  EXPECT_FALSE(Place(two_slices).has_value());
}

TEST(PlacementPolicyFactoryTest, ByName) {
  // "" gives the default (fgd+); an unknown name is InvalidArgument on "policy".
  auto by_default = MakePlacementPolicy("");
  ASSERT_TRUE(by_default.ok());
  EXPECT_EQ((*by_default)->name(), "fgd+");
  EXPECT_EQ(DefaultPlacementPolicyName(), "fgd+");
  ASSERT_TRUE(MakePlacementPolicy("bestfit").ok());
  auto unknown = MakePlacementPolicy("roundrobin");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.error().field(), "policy");
  EXPECT_NE(unknown.error().message().find("bestfit"), std::string::npos);
}

TEST(FitsTotalTest, Reasons) {
  const NodeSpec node = GpuNode("a", 10);
  std::string why;
  EXPECT_TRUE(FitsTotal(WholeJob(1, 10), node, &why));
  EXPECT_EQ(why, "");
  // Expected: each misfit names what is needed and what the node has.
  EXPECT_FALSE(FitsTotal(WholeJob(1, 16), node, &why));
  EXPECT_EQ(why, "needs 16 GPUs, node has 10");
  EXPECT_FALSE(FitsTotal(SliceJob(1, 250, 100 * kGiB), node, &why));
  EXPECT_EQ(why, "needs 0.25 GPU with 100GiB of memory; largest device has 80GiB");
  QueuedJob h100 = WholeJob(1, 1);
  h100.request.gpu_models = {"H100"};
  EXPECT_FALSE(FitsTotal(h100, node, &why));
  EXPECT_EQ(why, "no device of model H100");
  EXPECT_FALSE(FitsTotal(HostJob(1, 128000, 0), node, &why));
  EXPECT_EQ(why, "needs 128 CPUs, node has 64 CPUs");
  EXPECT_FALSE(FitsTotal(HostJob(1, 0, 1024 * kGiB), node, &why));
  EXPECT_EQ(why, "needs 1024GiB of memory, node has 512GiB");
  EXPECT_FALSE(FitsTotal(WholeJob(1, 1), GpuNode("cpu", 0), &why));
  EXPECT_EQ(why, "needs 1 GPU, node has 0");
  EXPECT_TRUE(FitsTotal(WholeJob(1, 1), node, nullptr));  // reason is optional
}

}  // namespace
}  // namespace fastgpu::core
