// The controller acts on preemption: the victim leaves its node's desired set (the agent stops
// it), keeps its resources until the agent reports the exit, then goes back to the queue
// without using a retry; the state survives a restart. Also: admins may submit for a tenant.
#include <gtest/gtest.h>

#include "control/controller_fixture.h"

namespace fastgpu::control::testing {
namespace {

using core::JobState;

core::JobSpec Prio(core::JobSpec spec, int32_t priority) {
  spec.priority = priority;
  return spec;
}

TEST_F(ControllerTest, HigherPriorityJobPreemptsAndTheVictimIsRequeued) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("a", 2)).ok());
  JobView low = MustSubmit(Prio(GpuJob(2), 0));
  const core::JobId lo = low.record.id;
  ASSERT_TRUE(controller_->Report("a", {Running(lo, 1)}).ok());
  JobView high = MustSubmit(Prio(GpuJob(2), 5));
  const core::JobId hi = high.record.id;
  // Expected: high waits for the victim; the victim is out of the desired set but still
  // running (its grace), and its record says why.
  EXPECT_EQ(high.record.state, JobState::kPending);
  EXPECT_NE(high.record.reason.find("preempting job " + std::to_string(lo)), std::string::npos)
      << high.record.reason;
  EXPECT_TRUE(Desired("a").attempts.empty());
  JobView victim = MustGet(lo);
  EXPECT_EQ(victim.record.state, JobState::kRunning);
  EXPECT_EQ(victim.record.preempting_for, hi);

  // A restart during the grace keeps the preemption (stored) and does not preempt again.
  OpenController();
  EXPECT_EQ(MustGet(lo).record.preempting_for, hi);
  EXPECT_TRUE(Desired("a").attempts.empty());
  EXPECT_NE(MustGet(hi).record.reason.find("waiting for preempted job"), std::string::npos);

  // The agent reports the victim gone (SIGTERM): it is requeued, high runs.
  auto acks = controller_->Report("a", {Exited(lo, 1, std::nullopt, 15)});
  ASSERT_TRUE(acks.ok());
  EXPECT_EQ(*acks, (std::vector<AttemptKey>{{lo, 1}}));
  JobView requeued = MustGet(lo);
  EXPECT_EQ(requeued.record.state, JobState::kPending);
  EXPECT_EQ(requeued.record.preemptions, 1);
  EXPECT_EQ(requeued.record.preempting_for, 0);
  EXPECT_EQ(requeued.record.attempt, 1);  // the next run is attempt 2; no retry is used
  EXPECT_EQ(requeued.queue_position, 1);
  EXPECT_EQ(MustGet(hi).record.state, JobState::kScheduled);
  EXPECT_EQ(JobIds(Desired("a")), std::vector<core::JobId>{hi});

  // When high ends, the victim runs again as attempt 2.
  ASSERT_TRUE(controller_->Report("a", {Exited(hi, 1, 0)}).ok());
  JobView again = MustGet(lo);
  EXPECT_EQ(again.record.state, JobState::kScheduled);
  EXPECT_EQ(again.record.attempt, 2);
}

TEST_F(ControllerTest, AVictimNeverStartedIsRequeuedAtTheNextReport) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("a", 1)).ok());
  const core::JobId lo = MustSubmit(Prio(GpuJob(1), 0)).record.id;
  const core::JobId hi = MustSubmit(Prio(GpuJob(1), 5)).record.id;
  EXPECT_EQ(MustGet(lo).record.preempting_for, hi);
  // The agent's full report does not list the victim: it never started.
  ASSERT_TRUE(controller_->Report("a", {}).ok());
  EXPECT_EQ(MustGet(lo).record.state, JobState::kPending);
  EXPECT_EQ(MustGet(hi).record.state, JobState::kScheduled);
}

TEST_F(ControllerTest, OnlyAdminsSubmitForAnotherTenant) {
  core::JobSpec spec = GpuJob(1);
  spec.tenant = "research";
  JobView v = MustSubmit(spec);
  EXPECT_EQ(v.record.tenant, "research");
  EXPECT_TRUE(v.record.spec.tenant.empty());
  auto denied = controller_->Submit(Member("team"), spec);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace fastgpu::control::testing
