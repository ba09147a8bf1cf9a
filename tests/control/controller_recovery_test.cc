// A controller opened again on the same store file rebuilds its state.
#include "control/controller_fixture.h"

namespace fastgpu::control::testing {
namespace {

using core::JobState;

using ControllerRecoveryTest = FileControllerTest;

TEST_F(ControllerRecoveryTest, RestartKeepsQueueAndBindingsAndSecrets) {
  const Controller::Secrets first = controller_->FirstStartSecrets();
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  JobView j1 = MustSubmit(GpuJob(1));
  JobView j2 = MustSubmit(GpuJob(1));
  JobView j3 = MustSubmit(GpuJob(1));
  JobView j4 = MustSubmit(GpuJob(1));
  ASSERT_TRUE(controller_->Report("n1", {Running(j1.record.id, 1)}).ok());
  ASSERT_EQ(j3.record.state, JobState::kPending);

  clock_.Advance(1000);
  Restart();
  Controller::Secrets again = controller_->FirstStartSecrets();
  EXPECT_TRUE(again.admin_key.empty());
  EXPECT_TRUE(again.join_token.empty());
  EXPECT_TRUE(controller_->Authenticate(first.admin_key).ok());
  EXPECT_TRUE(controller_->AuthenticateAgent(first.join_token).ok());

  EXPECT_EQ(MustGet(j1.record.id).record.state, JobState::kRunning);
  EXPECT_EQ(MustGet(j2.record.id).record.state, JobState::kScheduled);
  EXPECT_EQ(MustGet(j2.record.id).record.attempt, 1);
  JobView p3 = MustGet(j3.record.id);
  EXPECT_EQ(p3.record.state, JobState::kPending);
  EXPECT_EQ(p3.queue_position, 1);
  EXPECT_EQ(MustGet(j4.record.id).queue_position, 2);

  // Bound again, not placed twice: both GPUs are held by j1 and j2 only.
  PoolView pool = controller_->Pool();
  ASSERT_EQ(pool.gpus.size(), 2u);
  EXPECT_EQ(pool.summary.idle_gpus, 0);
  EXPECT_EQ(pool.summary.pending_jobs, 2);
  EXPECT_EQ(JobIds(Desired("n1")), (std::vector<core::JobId>{j1.record.id, j2.record.id}));
  ASSERT_EQ(controller_->ListNodes().size(), 1u);
  EXPECT_TRUE(controller_->ListNodes()[0].ready);

  // Work goes on: j1 ends and j3 takes its GPU.
  ASSERT_TRUE(controller_->Report("n1", {Exited(j1.record.id, 1, 0)}).ok());
  JobView s3 = MustGet(j3.record.id);
  EXPECT_EQ(s3.record.state, JobState::kScheduled);
  EXPECT_EQ(s3.record.attempt, 1);
  EXPECT_EQ(MustGet(j4.record.id).queue_position, 1);
}

TEST_F(ControllerRecoveryTest, SilentNodeAfterRestartGoesNotReady) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  Restart();
  clock_.Advance(10001);
  controller_->Tick();
  ASSERT_EQ(controller_->ListNodes().size(), 1u);
  EXPECT_FALSE(controller_->ListNodes()[0].ready);
}

TEST_F(ControllerRecoveryTest, PollWithAVersionFromBeforeTheRestartIsAnswered) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  const int64_t old_version = Desired("n1").version;
  clock_.Advance(1);
  Restart();
  PollRecorder rec;
  controller_->WatchDesired("n1", old_version, 30000, rec.Callback());
  EXPECT_EQ(rec.results.size(), 1u);
}

}  // namespace
}  // namespace fastgpu::control::testing

namespace fastgpu::control::testing {
namespace {

TEST_F(ControllerRecoveryTest, JobsBoundToAVanishedNodeAreRequeuedOrCancelled) {
  core::JobRecord rec;
  rec.spec = GpuJob(1);
  rec.state = core::JobState::kRunning;
  rec.attempt = 1;
  rec.placement = core::Placement{"gone", {core::DeviceGrant{0, "GPU-gone-0", {1000, 81920}}}};
  controller_.reset();  // the store is written behind the controller's back
  rec.id = *store_->MaxJobId() + 1;
  ASSERT_TRUE(store_->Commit(store::WriteBatch{.jobs = {rec}}).ok());
  auto requeued = std::optional<core::JobId>(rec.id);
  rec.cancel_requested = true;
  rec.id += 1;
  ASSERT_TRUE(store_->Commit(store::WriteBatch{.jobs = {rec}}).ok());
  auto cancelled = std::optional<core::JobId>(rec.id);

  Restart();
  JobView v = MustGet(*requeued);
  EXPECT_EQ(v.record.state, core::JobState::kPending);
  EXPECT_EQ(v.record.attempt, 1);
  EXPECT_FALSE(v.record.placement.has_value());
  EXPECT_EQ(v.queue_position, 1);
  EXPECT_EQ(store_->GetJob(*requeued)->state, core::JobState::kPending);
  EXPECT_EQ(MustGet(*cancelled).record.state, core::JobState::kCancelled);

  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  v = MustGet(*requeued);
  EXPECT_EQ(v.record.state, core::JobState::kScheduled);
  EXPECT_EQ(v.record.attempt, 2);  // a new attempt: the old one may have run
}

}  // namespace
}  // namespace fastgpu::control::testing
