// Contract tests that every PlacementPolicy (every name MakePlacementPolicy knows) must pass.
// A new policy is covered by adding it to the registry.

#include "core/policy/placement_policy.h"

#include <string>

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

class PlacementPolicyContractTest : public ::testing::TestWithParam<std::string_view> {
 protected:
  void SetUp() override {
    auto made = MakePlacementPolicy(GetParam());
    ASSERT_TRUE(made.ok()) << made.error().ToString();
    policy_ = std::move(made).value();
  }
  std::unique_ptr<PlacementPolicy> policy_;
  ClusterState state_;
};

// A random job: whole GPUs (1-4), a slice (proportional or explicit memory), or host only.
QueuedJob RandomJob(JobId id, Rng& rng) {
  switch (rng.Uniform(3)) {
    case 0:
      return WholeJob(id, 1 + static_cast<int>(rng.Uniform(4)));
    case 1:
      return SliceJob(id, 50 * static_cast<int32_t>(1 + rng.Uniform(20)),
                      rng.Uniform(2) ? 0 : kGiB * static_cast<int64_t>(1 + rng.Uniform(40)));
    default:
      return HostJob(id, 1000 * static_cast<int32_t>(rng.Uniform(16)),
                     kGiB * static_cast<int64_t>(rng.Uniform(64)));
  }
}

TEST_P(PlacementPolicyContractTest, NameMatchesRegistry) { EXPECT_EQ(policy_->name(), GetParam()); }

TEST_P(PlacementPolicyContractTest, NothingFitsAnEmptyCluster) {
  Rng rng(1);
  EXPECT_FALSE(policy_->Place(WholeJob(1, 1), state_.nodes(), rng).has_value());
  EXPECT_FALSE(policy_->Place(HostJob(2, 0, 0), state_.nodes(), rng).has_value());
}

TEST_P(PlacementPolicyContractTest, NeverUsesNotReadyNodes) {
  MustApply(state_, NodeUpserted{GpuNode("a", 8)});
  MustApply(state_, NodeReadiness{"a", false});
  Rng rng(1);
  EXPECT_FALSE(policy_->Place(WholeJob(1, 1), state_.nodes(), rng).has_value());
  EXPECT_FALSE(policy_->Place(SliceJob(2, 100), state_.nodes(), rng).has_value());
  EXPECT_FALSE(policy_->Place(HostJob(3, 0, 0), state_.nodes(), rng).has_value());
}

// Unhealthy devices get no new work from any policy: with devices 0 and 2 of 4 unhealthy, two
// whole GPUs go to 1 and 3, a slice goes to 1 or 3, and a third whole GPU does not fit.
TEST_P(PlacementPolicyContractTest, NeverUsesUnhealthyDevices) {
  NodeSpec spec = GpuNode("a", 4);
  spec.devices[0].healthy = false;
  spec.devices[2].healthy = false;
  MustApply(state_, NodeUpserted{spec});
  Rng rng(1);
  std::optional<Placement> two = policy_->Place(WholeJob(1, 2), state_.nodes(), rng);
  ASSERT_TRUE(two.has_value());
  ASSERT_EQ(two->devices.size(), 2u);
  EXPECT_EQ(two->devices[0].index, 1);
  EXPECT_EQ(two->devices[1].index, 3);
  std::optional<Placement> slice = policy_->Place(SliceJob(2, 250), state_.nodes(), rng);
  ASSERT_TRUE(slice.has_value());
  EXPECT_TRUE(slice->devices.at(0).index == 1 || slice->devices.at(0).index == 3);
  MustApply(state_, JobQueued{WholeJob(1, 2)});
  MustApply(state_, JobBound{1, *two});
  EXPECT_FALSE(policy_->Place(WholeJob(3, 1), state_.nodes(), rng).has_value());
  EXPECT_FALSE(policy_->Place(SliceJob(4, 100), state_.nodes(), rng).has_value());
}

// Places random jobs until the cluster is full, binding each placement through
// ClusterState::Apply, which rejects any placement over capacity. Expected: every bind is
// accepted, whole GPUs only go to idle devices, grants are sorted and match the request.
TEST_P(PlacementPolicyContractTest, RandomWorkloadStaysWithinCapacity) {
  MustApply(state_, NodeUpserted{GpuNode("a", 8)});
  MustApply(state_, NodeUpserted{GpuNode("b", 4, 40 * kGiB, "A100-40GB")});
  MustApply(state_, NodeUpserted{GpuNode("c", 2, 24 * kGiB, "L4")});
  MustApply(state_, NodeUpserted{GpuNode("d", 8)});
  MustApply(state_, NodeReadiness{"d", false});
  Rng rng(2024);
  int placed = 0;
  for (JobId id = 1; id <= 400; ++id) {
    const QueuedJob job = RandomJob(id, rng);
    const NodePool before = state_.nodes();
    std::optional<Placement> p = policy_->Place(job, state_.nodes(), rng);
    ASSERT_EQ(state_.nodes(), before) << "Place changed its input";
    if (!p) continue;
    ++placed;
    ASSERT_NE(p->node, "d") << "placed on a not-ready node";
    const NodeState& node = *state_.nodes().Get(p->node);
    ASSERT_EQ(p->devices.size(), static_cast<size_t>(job.request.gpu_count));
    for (size_t i = 0; i < p->devices.size(); ++i) {
      if (i > 0) {
        EXPECT_LT(p->devices[i - 1].index, p->devices[i].index);
      }
      if (job.request.WantsWholeGpus()) {
        const int32_t index = p->devices[i].index;
        EXPECT_EQ(node.used.at(index), Slice{}) << "whole GPU on a busy device";
        EXPECT_EQ(p->devices[i].slice.milli, 1000);
      }
    }
    EXPECT_EQ(p->cpu_milli, job.request.cpu_milli);
    MustApply(state_, JobQueued{job});
    const Status bound = state_.Apply(JobBound{id, *p});
    ASSERT_TRUE(bound.ok()) << bound.ToString();
    if (rng.Uniform(4) == 0) MustApply(state_, JobReleased{id - 1});  // some churn
  }
  EXPECT_GT(placed, 50);
}

// A policy that has answered many requests (and keeps caches of them) answers exactly as a new
// instance of the same policy, which has no cache, on the same state and with the same Rng.
TEST_P(PlacementPolicyContractTest, AnswersDoNotDependOnWhatItCached) {
  MustApply(state_, NodeUpserted{GpuNode("a", 8)});
  MustApply(state_, NodeUpserted{GpuNode("b", 4, 40 * kGiB, "A100-40GB")});
  for (int i = 0; i < 12; ++i) MustApply(state_, NodeUpserted{GpuNode("n" + std::to_string(i), 2)});
  Rng rng(99);
  int placed = 0;
  for (JobId id = 1; id <= 300; ++id) {
    const QueuedJob job = RandomJob(id % 7, rng);  // few shapes, so each is cached
    auto fresh = MakePlacementPolicy(GetParam());
    ASSERT_TRUE(fresh.ok());
    Rng a(static_cast<uint64_t>(id)), b(static_cast<uint64_t>(id));
    std::optional<Placement> p = policy_->Place(job, state_.nodes(), a);
    ASSERT_EQ(p, (*fresh)->Place(job, state_.nodes(), b)) << "job " << id;
    if (!p) continue;
    ++placed;
    QueuedJob queued = job;
    queued.id = id + 1000;
    MustApply(state_, JobQueued{queued});
    MustApply(state_, JobBound{queued.id, *p});
    if (rng.Uniform(3) == 0) MustApply(state_, JobReleased{id + 999});  // some churn
  }
  EXPECT_GT(placed, 100);
}

std::string PolicyTestName(const ::testing::TestParamInfo<std::string_view>& p) {
  std::string name(p.param);
  for (char& c : name) {
    if (c == '+') c = 'P';  // gtest names are alphanumeric: "fgd+" -> "fgdP"
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllPolicies, PlacementPolicyContractTest,
                         ::testing::ValuesIn(PlacementPolicyNames()), PolicyTestName);

}  // namespace
}  // namespace fastgpu::core
