// Node loss (silent past the grace period), jobs moved within their retries, a returning node
// told to stop what moved, and cordon / drain.
#include "control/controller_fixture.h"

namespace fastgpu::control::testing {
namespace {

using core::JobState;

core::JobSpec Retrying(int32_t retries) {
  core::JobSpec spec = GpuJob(1);
  spec.max_retries = retries;
  return spec;
}

class NodeLossTest : public ControllerTest {
 protected:
  // Keeps n2 alive while the clock passes n1's grace period.
  void LoseN1() {
    clock_.Advance(10001);
    ASSERT_TRUE(controller_->Report("n2", {}).ok());
    controller_->Tick();
    controller_->Settle();
  }
};

TEST_F(NodeLossTest, JobsOfALostNodeMoveWithinTheirRetries) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  JobView retried = MustSubmit(Retrying(1));
  JobView failing = MustSubmit(Retrying(0));
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n2", 1)).ok());
  // n1 holds `retried`; `failing` went to n2 first? Place both deterministically: n1 has one
  // GPU, so the second job waited for n2.
  ASSERT_EQ(MustGet(retried.record.id).record.placement->node, "n1");
  ASSERT_EQ(MustGet(failing.record.id).record.placement->node, "n2");
  ASSERT_TRUE(controller_->Report("n1", {Running(retried.record.id, 1)}).ok());
  ASSERT_TRUE(controller_->Report("n2", {Running(failing.record.id, 1)}).ok());
  // Free n2's GPU so that the moved job can go there.
  ASSERT_TRUE(controller_->Report("n2", {Exited(failing.record.id, 1, 0)}).ok());

  LoseN1();
  EXPECT_FALSE(controller_->GetNode("n1")->ready);
  EXPECT_EQ(controller_->GetNode("n1")->state, "not_ready");
  JobView moved = MustGet(retried.record.id);
  EXPECT_EQ(moved.record.state, JobState::kScheduled);
  EXPECT_EQ(moved.record.attempt, 2);
  EXPECT_EQ(moved.record.placement->node, "n2");
  auto events = controller_->JobEvents(Admin(), retried.record.id);
  ASSERT_TRUE(events.ok());
  ASSERT_GE(events->size(), 4u);
  EXPECT_EQ((*events)[3].type, "retried");
  EXPECT_EQ((*events)[3].node, "n1");
  EXPECT_EQ((*events)[3].reason, "node n1 lost; retry 1 of 1");

  // n1 comes back still running attempt 1: it is told to stop it (not in its set), and its
  // report of that attempt changes nothing.
  DesiredSet back = Desired("n1");
  EXPECT_TRUE(back.attempts.empty());
  auto acks = controller_->Report("n1", {Exited(retried.record.id, 1, std::nullopt, 15)});
  ASSERT_TRUE(acks.ok());
  EXPECT_EQ(acks->size(), 1u);
  EXPECT_EQ(MustGet(retried.record.id).record.state, JobState::kScheduled);
  EXPECT_EQ(MustGet(retried.record.id).record.attempt, 2);
  EXPECT_TRUE(controller_->GetNode("n1")->ready);
}

TEST_F(NodeLossTest, WithoutRetriesTheJobFailsNodeLost) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n2", 0)).ok());
  JobView v = MustSubmit(Retrying(0));
  ASSERT_TRUE(controller_->Report("n1", {Running(v.record.id, 1)}).ok());
  LoseN1();
  JobView failed = MustGet(v.record.id);
  EXPECT_EQ(failed.record.state, JobState::kFailed);
  EXPECT_EQ(failed.record.reason, "node lost");
  EXPECT_EQ(store_->GetJob(v.record.id)->state, JobState::kFailed);
  EXPECT_EQ(controller_->Pool().summary.idle_gpus, 1);  // n1's GPU is free (though not ready)
}

TEST_F(NodeLossTest, ANodeThatKeepsReportingIsNeverLost) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  JobView v = MustSubmit(Retrying(3));
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(9000);
    ASSERT_TRUE(controller_->Report("n1", {Running(v.record.id, 1)}).ok());
    controller_->Tick();
  }
  controller_->Settle();
  EXPECT_EQ(MustGet(v.record.id).record.attempt, 1);
  EXPECT_EQ(MustGet(v.record.id).record.state, JobState::kRunning);
}

TEST_F(ControllerTest, CordonKeepsNewJobsAwayAndUncordonLetsThemIn) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  auto cordoned = controller_->SetNodeAction(Admin(), "n1", NodeAction::kCordon);
  ASSERT_TRUE(cordoned.ok()) << cordoned.error().ToString();
  EXPECT_EQ(cordoned->state, "cordoned");
  EXPECT_TRUE(store_->ListNodes()->at(0).cordoned);
  JobView waits = MustSubmit(GpuJob(1));
  EXPECT_EQ(waits.record.state, JobState::kPending);
  // An agent restart does not undo what the operator said.
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  EXPECT_EQ(controller_->GetNode("n1")->state, "cordoned");
  EXPECT_EQ(MustGet(waits.record.id).record.state, JobState::kPending);

  EXPECT_EQ(
      controller_->SetNodeAction(Member("default"), "n1", NodeAction::kUncordon).error().code(),
      StatusCode::kPermissionDenied);
  EXPECT_EQ(controller_->SetNodeAction(Admin(), "nope", NodeAction::kCordon).error().code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(controller_->SetNodeAction(Admin(), "n1", NodeAction::kUncordon).ok());
  EXPECT_EQ(MustGet(waits.record.id).record.state, JobState::kScheduled);
  EXPECT_EQ(controller_->GetNode("n1")->state, "ready");
}

TEST_F(ControllerTest, DrainLetsRunningJobsFinishThenShowsDrained) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  JobView running = MustSubmit(GpuJob(1));
  ASSERT_TRUE(controller_->Report("n1", {Running(running.record.id, 1)}).ok());
  auto draining = controller_->SetNodeAction(Admin(), "n1", NodeAction::kDrain);
  ASSERT_TRUE(draining.ok());
  EXPECT_EQ(draining->state, "draining");
  EXPECT_EQ(Desired("n1").attempts.size(), 1u);  // it keeps running
  JobView waits = MustSubmit(GpuJob(1));
  EXPECT_EQ(waits.record.state, JobState::kPending);
  ASSERT_TRUE(controller_->Report("n1", {Exited(running.record.id, 1, 0)}).ok());
  EXPECT_EQ(controller_->GetNode("n1")->state, "drained");
  EXPECT_EQ(MustGet(waits.record.id).record.state, JobState::kPending);
}

}  // namespace
}  // namespace fastgpu::control::testing
