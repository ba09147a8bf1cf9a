#include "core/state.h"

#include <gtest/gtest.h>

#include "core/model/job.h"
#include "core/cluster_builder.h"

namespace fastgpu::core {
namespace {

using test_util::GpuNode;
using test_util::HostJob;
using test_util::kGiB;
using test_util::MustApply;
using test_util::SliceJob;
using test_util::WholeJob;

// A grant of one whole device of GpuNode(): milli 1000 and the device's full memory.
DeviceGrant Whole(const std::string& node, int32_t index) {
  return DeviceGrant{index, node + "-gpu" + std::to_string(index), Slice{1000, 80 * kGiB}};
}

Placement On(const std::string& node, std::vector<DeviceGrant> devices, int32_t cpu = 0,
             int64_t mem = 0) {
  return Placement{node, std::move(devices), cpu, mem};
}

// Every observable part of a state, to show that a rejected event changed nothing.
struct Snapshot {
  NodePool nodes;
  std::map<JobId, QueuedJob> queued;
  std::map<JobId, Placement> bound;
  explicit Snapshot(const ClusterState& s) : nodes(s.nodes()), queued(s.queued()), bound(s.bound()) {}
  bool operator==(const Snapshot&) const = default;
};

class StateTest : public ::testing::Test {
 protected:
  // Node "a" with 2 GPUs, job 1 queued (2 GPUs), job 2 queued (a 0.25 slice).
  void SetUp() override {
    MustApply(state_, NodeUpserted{GpuNode("a", 2)});
    MustApply(state_, JobQueued{WholeJob(1, 2)});
    MustApply(state_, JobQueued{SliceJob(2, 250)});
  }
  // Applies an event that must fail with `code` and leave the state as it was.
  void ExpectRejected(Event e, StatusCode code) {
    const Snapshot before(state_);
    const Status s = state_.Apply(e);
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_EQ(Snapshot(state_), before) << "a rejected event changed the state";
  }
  ClusterState state_;
};

TEST(JobStateTest, NamesRoundTrip) {
  // Every state has a distinct name that parses back; unknown names are rejected.
  for (JobState s : {JobState::kPending, JobState::kScheduled, JobState::kRunning,
                     JobState::kSucceeded, JobState::kFailed, JobState::kCancelled}) {
    JobState parsed = JobState::kPending;
    ASSERT_TRUE(ParseJobState(JobStateName(s), &parsed)) << JobStateName(s);
    EXPECT_EQ(parsed, s);
  }
  EXPECT_EQ(JobStateName(JobState::kCancelled), "cancelled");
  JobState out = JobState::kRunning;
  EXPECT_FALSE(ParseJobState("Pending", &out));
  EXPECT_FALSE(ParseJobState("", &out));
  EXPECT_EQ(out, JobState::kRunning);  // untouched on failure
}

TEST_F(StateTest, NodeUpsertedAddsReadyNodeWithNothingUsed) {
  // Expected: node "a" is ready, two devices, nothing in use.
  const NodeState& a = *state_.nodes().Get("a");
  EXPECT_TRUE(a.ready);
  ASSERT_EQ(a.used.size(), 2u);
  EXPECT_EQ(a.used[0], Slice{});
  EXPECT_EQ(a.used_cpu_milli, 0);
}

TEST_F(StateTest, NodeUpsertedRejectsBadSpecs) {
  // An empty name and duplicate device indexes are InvalidArgument; nothing changes.
  ExpectRejected(NodeUpserted{GpuNode("", 1)}, StatusCode::kInvalidArgument);
  NodeSpec dup = GpuNode("b", 2);
  dup.devices[1].index = 0;
  ExpectRejected(NodeUpserted{dup}, StatusCode::kInvalidArgument);
}

TEST_F(StateTest, NodeUpsertedKeepsUsageOfDevicesThatStillExist) {
  MustApply(state_, JobBound{1, On("a", {Whole("a", 0), Whole("a", 1)}, 2000, 4 * kGiB)});
  MustApply(state_, NodeReadiness{"a", false});
  // Re-register with devices 0 and 2 (device 1 is gone): device 0 keeps its usage, device 2
  // starts empty, host usage is kept and the node is ready again.
  NodeSpec next = GpuNode("a", 3);
  next.devices.erase(next.devices.begin() + 1);
  MustApply(state_, NodeUpserted{next});
  const NodeState& a = *state_.nodes().Get("a");
  EXPECT_TRUE(a.ready);
  ASSERT_EQ(a.used.size(), 2u);
  EXPECT_EQ(a.used[0], (Slice{1000, 80 * kGiB}));
  EXPECT_EQ(a.used[1], Slice{});
  EXPECT_EQ(a.used_cpu_milli, 2000);
  EXPECT_EQ(a.used_memory_mib, 4 * kGiB);
  // Releasing the job later frees what still exists and never goes negative.
  MustApply(state_, JobReleased{1});
  EXPECT_EQ(state_.nodes().Get("a")->used[0], Slice{});
  EXPECT_EQ(state_.nodes().Get("a")->used_cpu_milli, 0);
}

TEST_F(StateTest, NodeUpsertedSortsDevicesByIndex) {
  NodeSpec spec = GpuNode("b", 3);
  std::swap(spec.devices[0], spec.devices[2]);
  MustApply(state_, NodeUpserted{spec});
  const auto& devices = state_.nodes().Get("b")->spec().devices;
  EXPECT_EQ(devices[0].index, 0);
  EXPECT_EQ(devices[2].index, 2);
}

TEST_F(StateTest, NodeReadinessToggles) {
  MustApply(state_, NodeReadiness{"a", false});
  EXPECT_FALSE(state_.nodes().Get("a")->ready);
  MustApply(state_, NodeReadiness{"a", true});
  EXPECT_TRUE(state_.nodes().Get("a")->ready);
  ExpectRejected(NodeReadiness{"nope", false}, StatusCode::kNotFound);
}

TEST_F(StateTest, JobQueuedRejectsDuplicates) {
  // Job 1 is queued: AlreadyExists. After binding it, queueing it again is still AlreadyExists.
  ExpectRejected(JobQueued{WholeJob(1, 1)}, StatusCode::kAlreadyExists);
  MustApply(state_, JobBound{1, On("a", {Whole("a", 0), Whole("a", 1)})});
  ExpectRejected(JobQueued{WholeJob(1, 1)}, StatusCode::kAlreadyExists);
}

TEST_F(StateTest, JobBoundMovesJobAndAddsUsage) {
  // Job 2 takes 250 milli + 20GiB of device 1 and 1 CPU + 2GiB of host memory.
  const Placement p = On("a", {DeviceGrant{1, "a-gpu1", Slice{250, 20 * kGiB}}}, 1000, 2 * kGiB);
  MustApply(state_, JobBound{2, p});
  EXPECT_EQ(state_.queued().count(2), 0u);
  EXPECT_EQ(state_.bound().at(2), p);
  const NodeState& a = *state_.nodes().Get("a");
  EXPECT_EQ(a.used[0], Slice{});
  EXPECT_EQ(a.used[1], (Slice{250, 20 * kGiB}));
  EXPECT_EQ(a.used_cpu_milli, 1000);
  EXPECT_EQ(a.used_memory_mib, 2 * kGiB);
}

TEST_F(StateTest, JobBoundErrorsLeaveStateUnchanged) {
  ExpectRejected(JobBound{99, On("a", {Whole("a", 0)})}, StatusCode::kNotFound);  // unknown job
  ExpectRejected(JobBound{1, On("zz", {Whole("zz", 0)})}, StatusCode::kInvalidArgument);
  ExpectRejected(JobBound{1, On("a", {Whole("a", 7)})}, StatusCode::kInvalidArgument);
  ExpectRejected(JobBound{1, On("a", {Whole("a", 0), Whole("a", 0)})},
                 StatusCode::kInvalidArgument);  // same device twice
  ExpectRejected(JobBound{1, On("a", {Whole("a", 0)}, 65000)},
                 StatusCode::kInvalidArgument);  // more CPU than the node has
  ExpectRejected(JobBound{1, On("a", {Whole("a", 0)}, 0, 600 * kGiB)},
                 StatusCode::kInvalidArgument);  // more host memory than the node has
  ExpectRejected(JobBound{2, On("a", {DeviceGrant{0, "a-gpu0", Slice{250, 81 * kGiB}}})},
                 StatusCode::kInvalidArgument);  // more device memory than it has
}

TEST_F(StateTest, JobBoundRejectsWholeGpuOnSlicedDevice) {
  // Job 2 holds a slice of device 0; a whole-GPU bind there would exceed the device.
  MustApply(state_, JobBound{2, On("a", {DeviceGrant{0, "a-gpu0", Slice{250, 20 * kGiB}}})});
  ExpectRejected(JobBound{1, On("a", {Whole("a", 0), Whole("a", 1)})},
                 StatusCode::kInvalidArgument);
}

TEST_F(StateTest, JobBoundTwiceIsAlreadyExists) {
  MustApply(state_, JobBound{1, On("a", {Whole("a", 0), Whole("a", 1)})});
  ExpectRejected(JobBound{1, On("a", {Whole("a", 0)})}, StatusCode::kAlreadyExists);
}

TEST_F(StateTest, JobReleasedFreesAndDuplicatesAreHarmless) {
  MustApply(state_, JobBound{1, On("a", {Whole("a", 0), Whole("a", 1)}, 500, kGiB)});
  MustApply(state_, JobReleased{1});
  // Expected: everything free again, job 1 gone.
  const NodeState& a = *state_.nodes().Get("a");
  EXPECT_EQ(a.used[0], Slice{});
  EXPECT_EQ(a.used[1], Slice{});
  EXPECT_EQ(a.used_cpu_milli, 0);
  EXPECT_EQ(a.used_memory_mib, 0);
  EXPECT_EQ(state_.bound().count(1), 0u);
  // A second release and a release of a never-seen job are OK no-ops.
  const Snapshot before(state_);
  EXPECT_TRUE(state_.Apply(JobReleased{1}).ok());
  EXPECT_TRUE(state_.Apply(JobReleased{12345}).ok());
  EXPECT_EQ(Snapshot(state_), before);
}

TEST_F(StateTest, JobReleasedRemovesQueuedJob) {
  // Cancelling a pending job: it leaves the queue.
  MustApply(state_, JobReleased{2});
  EXPECT_EQ(state_.queued().count(2), 0u);
  EXPECT_EQ(state_.queued().count(1), 1u);
}

TEST(QueueOrderTest, PriorityThenSubmitTimeThenId) {
  ClusterState state;
  MustApply(state, JobQueued{WholeJob(5, 1, /*priority=*/0, /*submit_ms=*/100)});
  MustApply(state, JobQueued{WholeJob(4, 1, 0, 100)});
  MustApply(state, JobQueued{WholeJob(3, 1, 0, 50)});
  MustApply(state, JobQueued{WholeJob(9, 1, 10, 900)});
  MustApply(state, JobQueued{HostJob(1, 0, 0)});
  state.Apply(JobQueued{WholeJob(2, 1, -1, 0)}).IgnoreError();
  // Expected: 9 (priority 10), then priority 0 by submit time 1 (0ms), 3 (50ms), 4 and 5
  // (100ms, by id), then 2 (priority -1).
  std::vector<JobId> ids;
  for (const QueuedJob* j : state.QueueOrder()) ids.push_back(j->id);
  EXPECT_EQ(ids, (std::vector<JobId>{9, 1, 3, 4, 5, 2}));
}

}  // namespace
}  // namespace fastgpu::core
