// Expected placements, written out, for pack, spread, random, fgd and fgd+, and the numbers of
// the fragmentation measure and the workload profile they rest on.

#include <gtest/gtest.h>

#include <string>

#include "core/cluster_builder.h"
#include "core/policy/fgd_policy.h"
#include "core/policy/fragmentation.h"
#include "core/policy/pack_policy.h"
#include "core/policy/random_policy.h"
#include "core/policy/spread_policy.h"
#include "core/policy/workload_profile.h"

namespace fastgpu::core {
namespace {

using test_util::GpuNode;
using test_util::HostJob;
using test_util::MustApply;
using test_util::SliceJob;
using test_util::WholeJob;

std::vector<int32_t> Indexes(const Placement& p) {
  std::vector<int32_t> out;
  for (const DeviceGrant& g : p.devices) out.push_back(g.index);
  return out;
}

class PolicyTest : public ::testing::Test {
 protected:
  Placement Bind(const PlacementPolicy& policy, const QueuedJob& job) {
    std::optional<Placement> p = policy.Place(job, state_.nodes(), rng_);
    EXPECT_TRUE(p.has_value()) << "job " << job.id;
    if (!p) return {};
    MustApply(state_, JobQueued{job});
    MustApply(state_, JobBound{job.id, *p});
    return *p;
  }
  // Binds `job` to device `index` of `node` with `slice`, whatever a policy would choose.
  void Hold(const QueuedJob& job, const std::string& node, int32_t index, Slice slice) {
    Placement held;
    held.node = node;
    held.devices.push_back(DeviceGrant{index, node + "-gpu" + std::to_string(index), slice});
    MustApply(state_, JobQueued{job});
    MustApply(state_, JobBound{job.id, held});
  }
  ClusterState state_;
  Rng rng_{7};
};

TEST_F(PolicyTest, PackFillsPartlyUsedDevicesThenSmallNodes) {
  PackPolicy pack;
  MustApply(state_, NodeUpserted{GpuNode("a", 8)});
  MustApply(state_, NodeUpserted{GpuNode("b", 2)});
  // All idle: tier 3, a scores 33-8=25, b 33-2=31 -> b, its tightest device 0.
  Placement p = Bind(pack, SliceJob(1, 500));
  EXPECT_EQ(p.node, "b");
  EXPECT_EQ(Indexes(p), (std::vector<int32_t>{0}));
  // b/0 is partly used and fits 300: tier 1, 100 - 50/10 = 95 -> b/0.
  EXPECT_EQ(Indexes(Bind(pack, SliceJob(2, 300))), (std::vector<int32_t>{0}));
  // One whole GPU: b is in use (tier 2: 50-1=49) over idle a (25) -> b/1.
  p = Bind(pack, WholeJob(3, 1));
  EXPECT_EQ(p.node, "b");
  EXPECT_EQ(Indexes(p), (std::vector<int32_t>{1}));
  // Two whole GPUs: only a has them -> a/0,1.
  p = Bind(pack, WholeJob(4, 2));
  EXPECT_EQ(p.node, "a");
  EXPECT_EQ(Indexes(p), (std::vector<int32_t>{0, 1}));
  // No GPU: the same score everywhere -> first by name, a.
  EXPECT_EQ(Bind(pack, HostJob(5, 1000, 0)).node, "a");
}

TEST_F(PolicyTest, SpreadGoesToTheLeastLoadedNode) {
  SpreadPolicy spread;
  MustApply(state_, NodeUpserted{GpuNode("a", 4)});
  MustApply(state_, NodeUpserted{GpuNode("b", 4)});
  // Both idle (load 0): a by name, device 0. Then a's load is (250+0+0)/3 = 83 -> b.
  EXPECT_EQ(Bind(spread, WholeJob(1, 1)).node, "a");
  EXPECT_EQ(Bind(spread, WholeJob(2, 1)).node, "b");
  // Loads equal again (83): a; a slice goes to its freest device, the lowest idle one (1).
  Placement p = Bind(spread, SliceJob(3, 500));
  EXPECT_EQ(p.node, "a");
  EXPECT_EQ(Indexes(p), (std::vector<int32_t>{1}));
  EXPECT_EQ(LoadPerMille(*state_.nodes().Get("a")), 125);  // 1500/4000 GPU, 0 cpu, 0 memory
  // a is at 125, b at 83 -> b.
  EXPECT_EQ(Bind(spread, HostJob(4, 32000, 0)).node, "b");
  // b: (250 + 500 + 0) / 3 = 250 now; a 125 -> a.
  EXPECT_EQ(Bind(spread, SliceJob(5, 100)).node, "a");
}

TEST_F(PolicyTest, RandomIsSeededAndUsesEveryFeasibleNode) {
  RandomPolicy random;
  MustApply(state_, NodeUpserted{GpuNode("a", 8)});
  MustApply(state_, NodeUpserted{GpuNode("b", 8)});
  MustApply(state_, NodeUpserted{GpuNode("c", 1)});
  std::map<std::string, int> seen;
  Rng first(99), second(99);
  for (JobId id = 1; id <= 60; ++id) {
    const std::optional<Placement> p = random.Place(WholeJob(id, 2), state_.nodes(), first);
    const std::optional<Placement> q = random.Place(WholeJob(id, 2), state_.nodes(), second);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(*p, *q);  // same seed, same draws
    ++seen[p->node];
  }
  // c has one GPU and can never hold 2; a and b are each drawn about half the time.
  EXPECT_EQ(seen.count("c"), 0u);
  EXPECT_GT(seen["a"], 15);
  EXPECT_GT(seen["b"], 15);
}

// Typical tasks: half whole 1-GPU jobs, half 0.5-GPU slices.
WorkloadProfile HalfAndHalf() {
  WorkloadProfile p;
  p.shapes.push_back(WeightedShape{TaskShape{0, 1, 1000, {}}, 0.5});
  p.shapes.push_back(WeightedShape{TaskShape{0, 1, 500, {}}, 0.5});
  return p;
}

TEST(FragmentationTest, PaperDefinition) {
  const NodeSpec node = GpuNode("n", 2);
  // Free [500, 1000]: a whole GPU can run (device 1), stranding device 0's 500; a 0.5 slice
  // strands nothing. F = 0.5 * 500 + 0.5 * 0 = 250.
  EXPECT_DOUBLE_EQ(NodeFragmentation(node, 64000, {500, 1000}, HalfAndHalf()), 250);
  // Free [500, 500]: no whole GPU can run, so all 1000 idle milli count for it: F = 500.
  EXPECT_DOUBLE_EQ(NodeFragmentation(node, 64000, {500, 500}, HalfAndHalf()), 500);
  // No cpu left: nothing can run, every idle milli is fragment: F = 1500.
  EXPECT_DOUBLE_EQ(NodeFragmentation(node, 0, {500, 1000}, [] {
                     WorkloadProfile p = HalfAndHalf();
                     for (auto& w : p.shapes) w.shape.cpu_milli = 1000;
                     return p;
                   }()),
                   1500);
  // Wrong model: the node's devices serve nothing of an H100-only profile: F = 1500.
  WorkloadProfile h100 = HalfAndHalf();
  for (auto& w : h100.shapes) w.shape.gpu_models = {"H100"};
  EXPECT_DOUBLE_EQ(NodeFragmentation(node, 64000, {500, 1000}, h100), 1500);
}

TEST(WorkloadProfileTest, TopShapesCoveringTheThreshold) {
  std::vector<ResourceRequest> tasks;
  for (int i = 0; i < 6; ++i) tasks.push_back(WholeJob(1, 1).request);
  for (int i = 0; i < 3; ++i) tasks.push_back(SliceJob(1, 500).request);
  tasks.push_back(HostJob(1, 2000, 0).request);
  // 95 %: 60 % + 30 % = 90 % is short, so the host-only shape joins: 0.6 / 0.3 / 0.1.
  WorkloadProfile all = BuildWorkloadProfile(tasks, 95);
  ASSERT_EQ(all.shapes.size(), 3u);
  EXPECT_DOUBLE_EQ(all.shapes[0].probability, 0.6);
  EXPECT_EQ(all.shapes[1].shape.gpu_milli, 500);
  EXPECT_DOUBLE_EQ(all.shapes[2].probability, 0.1);
  // 80 %: 60 % then 90 % covers it; renormalised to 6/9 and 3/9.
  WorkloadProfile top = BuildWorkloadProfile(tasks, 80);
  ASSERT_EQ(top.shapes.size(), 2u);
  EXPECT_DOUBLE_EQ(top.shapes[0].probability, 6.0 / 9);
  EXPECT_DOUBLE_EQ(top.shapes[1].probability, 3.0 / 9);
  EXPECT_EQ(BuildWorkloadProfile({}).shapes.size(), GenericWorkloadProfile().shapes.size());
}

TEST(WorkloadProfileTest, WholeDistributionAndTypicalShapes) {
  std::vector<ResourceRequest> tasks;
  for (int i = 0; i < 6; ++i) tasks.push_back(WholeJob(1, 1).request);
  for (int i = 0; i < 3; ++i) tasks.push_back(SliceJob(1, 500).request);
  tasks.push_back(HostJob(1, 2000, 0).request);
  // By default every shape, with its count: 6/10, 3/10, 1/10.
  WorkloadProfile all = BuildWorkloadProfile(tasks);
  ASSERT_EQ(all.shapes.size(), 3u);
  EXPECT_EQ(all.shapes[0].count, 6);
  EXPECT_DOUBLE_EQ(all.shapes[0].probability, 0.6);
  EXPECT_EQ(all.shapes[2].count, 1);
  // Cutting the whole profile is building with the cut, to the bit: 80 % keeps 6/9 and 3/9.
  for (int pct : {50, 80, 95, 100}) {
    WorkloadProfile cut = TypicalShapes(all, pct);
    WorkloadProfile built = BuildWorkloadProfile(tasks, pct);
    ASSERT_EQ(cut.shapes.size(), built.shapes.size()) << pct;
    for (size_t i = 0; i < cut.shapes.size(); ++i) {
      EXPECT_EQ(cut.shapes[i].shape, built.shapes[i].shape) << pct;
      EXPECT_EQ(cut.shapes[i].probability, built.shapes[i].probability) << pct;
    }
  }
  EXPECT_EQ(TypicalShapes(all, 80).shapes.size(), 2u);
  EXPECT_DOUBLE_EQ(TypicalShapes(all, 80).shapes[1].probability, 3.0 / 9);
  // A made-up profile is cut by probability, in its own order: the generic one's top six
  // cover 93 %, so at 95 % all seven stay, unchanged.
  const WorkloadProfile generic = GenericWorkloadProfile();
  EXPECT_EQ(TypicalShapes(generic, 95).shapes.size(), 7u);
  EXPECT_EQ(TypicalShapes(generic, 95).shapes[6].probability, generic.shapes[6].probability);
  // At 60 %: 0.30 (1 GPU), 0.20 (half slice), 0.15 (quarter slice) -> 0.65; renormalised.
  const WorkloadProfile top = TypicalShapes(generic, 60);
  ASSERT_EQ(top.shapes.size(), 3u);
  EXPECT_EQ(top.shapes[0].shape.gpu_count, 1);
  EXPECT_EQ(top.shapes[1].shape.gpu_milli, 250);
  EXPECT_DOUBLE_EQ(top.shapes[0].probability, 0.30 / 0.65);
}

TEST(WorkloadProfileTest, MultiGpuDemandShare) {
  // 0.5 x 1 GPU (500 milli expected), 0.25 x a 0.5 slice (125), 0.25 x 2 GPUs (500), and a
  // CPU-only shape that asks for no GPU: 500 / 1125 of the GPU demand is multi-GPU.
  WorkloadProfile p;
  p.shapes.push_back(WeightedShape{TaskShape{0, 1, 1000, {}}, 0.5});
  p.shapes.push_back(WeightedShape{TaskShape{0, 1, 500, {}}, 0.25});
  p.shapes.push_back(WeightedShape{TaskShape{0, 2, 1000, {}}, 0.25});
  p.shapes.push_back(WeightedShape{TaskShape{4000, 0, 0, {}}, 0.5});
  EXPECT_DOUBLE_EQ(MultiGpuDemandShare(p), 500.0 / 1125);
  // The generic profile: 2, 4 and 8 GPUs ask 1.08 of its 1.5925 GPUs.
  EXPECT_NEAR(MultiGpuDemandShare(GenericWorkloadProfile()), 1.08 / 1.5925, 1e-12);
  EXPECT_EQ(MultiGpuDemandShare(WorkloadProfile{}), 0);
}

// Two 2-GPU nodes; b/0 holds a whole GPU. A 1-GPU request on b fills b; on a (first by name)
// it breaks a's idle pair. fgd+ takes a, within 1 point, only while multi-GPU shapes carry
// less than FgdPolicy::kMultiGpuShareLimit (11 %) of the expected GPU demand.
TEST_F(PolicyTest, FgdPlusToleranceDependsOnMultiGpuShare) {
  MustApply(state_, NodeUpserted{GpuNode("a", 2)});
  MustApply(state_, NodeUpserted{GpuNode("b", 2)});
  Hold(WholeJob(100, 1), "b", 0, Slice{1000, 80 * test_util::kGiB});
  auto place = [&](const WorkloadProfile& p, FgdPolicy::Variant v) {
    return FgdPolicy(p, v).Place(WholeJob(1, 1), state_.nodes(), rng_)->node;
  };
  // Few multi-GPU tasks: 0.99 x 1 GPU, 0.01 x 2 GPUs; 20 of 1010 expected milli (2 %).
  // 2-GPU term: on b F goes 0.01 x 1000 -> 0 (score int(100 sigmoid(0.01)) = 50), on a 0 ->
  // 10 (49). fgd+ sees it and the tolerance takes a; fgd's 95 % cut drops the 2-GPU shape
  // (0.99 covers it), so both score 50 and a wins the tie.
  WorkloadProfile few;
  few.shapes.push_back(WeightedShape{TaskShape{0, 1, 1000, {}}, 0.99});
  few.shapes.push_back(WeightedShape{TaskShape{0, 2, 1000, {}}, 0.01});
  EXPECT_EQ(place(few, FgdPolicy::Variant::kPlus), "a");
  EXPECT_EQ(place(few, FgdPolicy::Variant::kPaper), "a");
  // Many: 0.91 x 1 GPU, 0.01 x 2 GPUs, 0.08 x 8 GPUs (which fit on neither node: their term
  // is all idle milli, -80 on both); 660 of 1570 expected milli (42 %). b: delta -90, score
  // 52; a: delta -70, score 51. fgd+ takes the exact best, b, and keeps a's pair idle; fgd's
  // cut drops the 2-GPU shape again (0.91 + 0.08 = 0.99) and ties on a.
  WorkloadProfile many;
  many.shapes.push_back(WeightedShape{TaskShape{0, 1, 1000, {}}, 0.91});
  many.shapes.push_back(WeightedShape{TaskShape{0, 2, 1000, {}}, 0.01});
  many.shapes.push_back(WeightedShape{TaskShape{0, 8, 1000, {}}, 0.08});
  EXPECT_EQ(place(many, FgdPolicy::Variant::kPlus), "b");
  EXPECT_EQ(place(many, FgdPolicy::Variant::kPaper), "a");
  // Without a workload (the server's case) the generic profile is 68 % multi-GPU demand: the
  // exact best, b, as fgd with that profile.
  EXPECT_EQ(place(GenericWorkloadProfile(), FgdPolicy::Variant::kPlus), "b");
  EXPECT_EQ(place(GenericWorkloadProfile(), FgdPolicy::Variant::kPaper), "b");
}

TEST_F(PolicyTest, FgdFillsTheFragmentNotTheFirstNode) {
  MustApply(state_, NodeUpserted{GpuNode("a", 2)});
  MustApply(state_, NodeUpserted{GpuNode("b", 2)});
  // b/0 already holds a 0.5 slice: b's free is [500, 1000], F_b = 250; a is idle, F_a = 0.
  Hold(SliceJob(100, 500), "b", 0, Slice{500, 40 * test_util::kGiB});
  for (FgdPolicy::Variant v : {FgdPolicy::Variant::kPaper, FgdPolicy::Variant::kPlus}) {
    ClusterState saved = state_;
    FgdPolicy fgd(HalfAndHalf(), v);
    // A 0.5 slice: b/0 takes F_b from 250 to 0 (score int(100 * sigmoid(0.25)) = 56); a/0 or
    // b/1 raise F by 250 (score 43) -> b, device 0, although a comes first by name.
    Placement p = Bind(fgd, SliceJob(1, 500));
    EXPECT_EQ(p.node, "b");
    EXPECT_EQ(Indexes(p), (std::vector<int32_t>{0}));
    // A whole GPU: a/0 and b/1 both leave F unchanged (score 50): the tie goes to a, device 0.
    p = Bind(fgd, WholeJob(2, 1));
    EXPECT_EQ(p.node, "a");
    EXPECT_EQ(Indexes(p), (std::vector<int32_t>{0}));
    // A 0.5 slice: a/1 would strand a's whole GPU for the 1-GPU half (F 0 -> 250), b/1 too;
    // tie at 43 -> a, device 1.
    p = Bind(fgd, SliceJob(3, 500));
    EXPECT_EQ(p.node, "a");
    EXPECT_EQ(Indexes(p), (std::vector<int32_t>{1}));
    state_ = saved;
  }
}

TEST(FgdPolicyTest, NamesAndDefaultProfile) {
  EXPECT_EQ(FgdPolicy(GenericWorkloadProfile(), FgdPolicy::Variant::kPaper).name(), "fgd");
  EXPECT_EQ(FgdPolicy(GenericWorkloadProfile(), FgdPolicy::Variant::kPlus).name(), "fgd+");
  // Without a workload the registry gives fgd a generic profile; it still places.
  auto fgd = MakePlacementPolicy("fgd");
  ASSERT_TRUE(fgd.ok());
  ClusterState state;
  MustApply(state, NodeUpserted{GpuNode("a", 4)});
  Rng rng(1);
  EXPECT_EQ((*fgd)->Place(WholeJob(1, 4), state.nodes(), rng)->node, "a");
}

}  // namespace
}  // namespace fastgpu::core
