// Expected placements, written out, for pack, spread, random, fgd and fgd+, and the numbers of
// the fragmentation measure and the workload profile they rest on.

#include <gtest/gtest.h>

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

TEST_F(PolicyTest, FgdFillsTheFragmentNotTheFirstNode) {
  MustApply(state_, NodeUpserted{GpuNode("a", 2)});
  MustApply(state_, NodeUpserted{GpuNode("b", 2)});
  // b/0 already holds a 0.5 slice: b's free is [500, 1000], F_b = 250; a is idle, F_a = 0.
  MustApply(state_, JobQueued{SliceJob(100, 500)});
  Placement held;
  held.node = "b";
  held.devices.push_back(DeviceGrant{0, "b-gpu0", Slice{500, 40 * test_util::kGiB}});
  MustApply(state_, JobBound{100, held});
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
