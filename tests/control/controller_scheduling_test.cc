// Submit, placement, the desired set and long polls, reports and the seed scenarios.
#include "control/controller_fixture.h"

#include <future>

namespace fastgpu::control::testing {
namespace {

using core::JobState;

TEST_F(ControllerTest, SubmitIsScheduledOnARegisteredNode) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 4)).ok());
  JobView v = MustSubmit(GpuJob(1));
  EXPECT_EQ(v.record.state, JobState::kScheduled);
  EXPECT_EQ(v.record.attempt, 1);
  EXPECT_EQ(v.record.tenant, "default");
  ASSERT_TRUE(v.record.placement.has_value());
  EXPECT_EQ(v.record.placement->node, "n1");
  ASSERT_EQ(v.record.placement->devices.size(), 1u);
  EXPECT_EQ(v.record.placement->devices[0].slice.milli, 1000);
  EXPECT_EQ(v.queue_position, 0);
  EXPECT_TRUE(v.record.reason.empty());

  DesiredSet set = Desired("n1");
  ASSERT_EQ(set.attempts.size(), 1u);
  EXPECT_EQ(set.attempts[0].job, v.record.id);
  EXPECT_EQ(set.attempts[0].attempt, 1);
  EXPECT_EQ(set.attempts[0].spec.argv, v.record.spec.argv);
  EXPECT_EQ(set.attempts[0].placement, *v.record.placement);
  EXPECT_GT(set.version, 0);

  // Committed: the store has it scheduled too.
  auto stored = store_->GetJob(v.record.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, JobState::kScheduled);
}

// The submit's own answer (what a 201 carries) of the asynchronous Submit.
Result<JobView> AnswerOf(Controller& c, core::JobSpec spec) {
  std::promise<Result<JobView>> answer;
  c.Submit(Admin(), std::move(spec), SubmitOptions{},
           [&answer](Result<JobView> v) { answer.set_value(std::move(v)); });
  return answer.get_future().get();
}

// A job that is alone in the queue and fits is placed in its submit's own commit: the answer
// is already scheduled, and its history says submitted (pending) then scheduled, at one time.
TEST_F(ControllerTest, AJobAloneInTheQueueIsPlacedInItsSubmitsCommit) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 4)).ok());
  controller_->Settle();
  Result<JobView> v = AnswerOf(*controller_, GpuJob(2));
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(v->record.state, JobState::kScheduled);
  EXPECT_EQ(v->record.attempt, 1);
  ASSERT_TRUE(v->record.placement.has_value());
  EXPECT_EQ(v->record.placement->node, "n1");
  EXPECT_EQ(v->record.placement->devices.size(), 2u);
  auto events = store_->ListJobEvents(v->record.id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].type, "submitted");
  EXPECT_EQ((*events)[0].state, "pending");
  EXPECT_EQ((*events)[0].attempt, 0);
  EXPECT_EQ((*events)[0].node, "");
  EXPECT_EQ((*events)[1].type, "scheduled");
  EXPECT_EQ((*events)[1].node, "n1");
  EXPECT_EQ((*events)[1].devices, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ((*events)[0].time_ms, (*events)[1].time_ms);
  EXPECT_EQ(Desired("n1").attempts.size(), 1u);
}

// With another job queued, a new one goes through the queue as before (the pass decides who
// comes first), even when it would fit.
TEST_F(ControllerTest, AJobBehindAQueuedOneIsPlacedByTheNextPass) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 4)).ok());
  JobView running = MustSubmit(GpuJob(1));
  core::JobSpec held = GpuJob(1);
  held.dependencies = {Dependency{DependencyKind::kOk, running.record.id}};
  JobView waiting = MustSubmit(held);
  ASSERT_EQ(waiting.record.state, JobState::kPending);
  Result<JobView> v = AnswerOf(*controller_, GpuJob(1));
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(v->record.state, JobState::kPending);
  controller_->Settle();
  EXPECT_EQ(MustGet(v->record.id).record.state, JobState::kScheduled);
}

TEST_F(ControllerTest, WatchDesiredAnswersAtOnceOnlyWhenTheVersionDiffers) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 4)).ok());
  PollRecorder first;
  controller_->WatchDesired("n1", 0, 30000, first.Callback());
  ASSERT_EQ(first.results.size(), 1u);  // 0 is never a node's version
  ASSERT_TRUE(first.results[0].ok());
  const int64_t version = first.results[0]->version;
  EXPECT_TRUE(first.results[0]->attempts.empty());

  PollRecorder parked;
  controller_->WatchDesired("n1", version, 30000, parked.Callback());
  EXPECT_TRUE(parked.results.empty());
  JobView v = MustSubmit(GpuJob(2));  // a bump wakes the parked poll
  ASSERT_EQ(parked.results.size(), 1u);
  ASSERT_TRUE(parked.results[0].ok());
  EXPECT_GT(parked.results[0]->version, version);
  EXPECT_EQ(JobIds(*parked.results[0]), std::vector<core::JobId>{v.record.id});
}

TEST_F(ControllerTest, ParkedPollExpiresInTickWithTheCurrentSet) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  const int64_t version = Desired("n1").version;
  PollRecorder parked;
  controller_->WatchDesired("n1", version, 5000, parked.Callback());
  clock_.Advance(4999);
  controller_->Tick();
  EXPECT_TRUE(parked.results.empty());
  clock_.Advance(1);
  controller_->Tick();
  ASSERT_EQ(parked.results.size(), 1u);
  ASSERT_TRUE(parked.results[0].ok());
  EXPECT_EQ(parked.results[0]->version, version);
  controller_->Tick();
  EXPECT_EQ(parked.results.size(), 1u);  // exactly once
}

TEST_F(ControllerTest, WatchDesiredOfUnknownNodeIsNotFound) {
  PollRecorder rec;
  controller_->WatchDesired("ghost", 0, 1000, rec.Callback());
  ASSERT_EQ(rec.results.size(), 1u);
  EXPECT_EQ(rec.results[0].error().code(), StatusCode::kNotFound);
  EXPECT_EQ(controller_->Report("ghost", {}).error().code(), StatusCode::kNotFound);
}

// The seed's scenario: two nodes of 10 GPUs, three jobs of 10 GPUs each.
TEST_F(ControllerTest, ThirdWholeNodeJobWaitsAndRunsWhenTheFirstEnds) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("a", 10)).ok());
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("b", 10)).ok());
  JobView j1 = MustSubmit(GpuJob(10));
  JobView j2 = MustSubmit(GpuJob(10));
  JobView j3 = MustSubmit(GpuJob(10));
  EXPECT_EQ(j1.record.state, JobState::kScheduled);
  EXPECT_EQ(j2.record.state, JobState::kScheduled);
  EXPECT_NE(j1.record.placement->node, j2.record.placement->node);
  EXPECT_EQ(j3.record.state, JobState::kPending);
  EXPECT_EQ(j3.queue_position, 1);
  EXPECT_FALSE(j3.record.reason.empty());
  EXPECT_EQ(MustGet(j3.record.id).queue_position, 1);
  EXPECT_EQ(MustGet(j3.record.id).record.reason, j3.record.reason);

  const std::string node1 = j1.record.placement->node;
  auto acks = controller_->Report(node1, {Running(j1.record.id, 1)});
  ASSERT_TRUE(acks.ok());
  EXPECT_TRUE(acks->empty());
  EXPECT_EQ(MustGet(j1.record.id).record.state, JobState::kRunning);

  acks = controller_->Report(node1, {Exited(j1.record.id, 1, 0)});
  ASSERT_TRUE(acks.ok());
  EXPECT_EQ(*acks, (std::vector<AttemptKey>{{j1.record.id, 1}}));
  EXPECT_EQ(MustGet(j1.record.id).record.state, JobState::kSucceeded);
  JobView now3 = MustGet(j3.record.id);
  EXPECT_EQ(now3.record.state, JobState::kScheduled);
  EXPECT_EQ(now3.record.placement->node, node1);
  EXPECT_EQ(now3.queue_position, 0);
  EXPECT_TRUE(now3.record.reason.empty());
  EXPECT_EQ(JobIds(Desired(node1)), std::vector<core::JobId>{j3.record.id});
}

TEST_F(ControllerTest, FourQuarterJobsShareOneGpuAndTheFifthWaits) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  std::vector<JobView> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back(MustSubmit(GpuJob(1, 250)));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(jobs[i].record.state, JobState::kScheduled) << i;
    EXPECT_EQ(jobs[i].record.placement->devices[0].slice.milli, 250);
  }
  EXPECT_EQ(jobs[4].record.state, JobState::kPending);
  EXPECT_EQ(jobs[4].queue_position, 1);
  EXPECT_EQ(Desired("n1").attempts.size(), 4u);

  PoolView pool = controller_->Pool();
  ASSERT_EQ(pool.gpus.size(), 1u);
  EXPECT_EQ(pool.gpus[0].free_milli, 0);
  EXPECT_EQ(pool.gpus[0].allocations.size(), 4u);
  EXPECT_TRUE(pool.gpus[0].node_ready);
  EXPECT_EQ(pool.summary.gpus, 1);
  EXPECT_EQ(pool.summary.idle_gpus, 0);
  EXPECT_EQ(pool.summary.pending_jobs, 1);
  EXPECT_EQ(pool.summary.total_milli, 1000);
}

TEST_F(ControllerTest, ExitOutcomesBecomeStatesWithReasons) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 4)).ok());
  core::JobId ok = MustSubmit(GpuJob(1)).record.id;
  core::JobId code = MustSubmit(GpuJob(1)).record.id;
  core::JobId sig = MustSubmit(GpuJob(1)).record.id;
  core::JobId err = MustSubmit(GpuJob(1)).record.id;
  clock_.Advance(100);
  ASSERT_TRUE(controller_->Report("n1", {Running(ok, 1, kStart + 50)}).ok());
  EXPECT_EQ(MustGet(ok).record.start_ms, kStart + 50);
  auto acks = controller_->Report(
      "n1", {Exited(ok, 1, 0), Exited(code, 1, 3), Exited(sig, 1, std::nullopt, 9),
             Exited(err, 1, std::nullopt, std::nullopt, "no such file: sleep")});
  ASSERT_TRUE(acks.ok());
  EXPECT_EQ(acks->size(), 4u);

  JobView v = MustGet(ok);
  EXPECT_EQ(v.record.state, JobState::kSucceeded);
  EXPECT_EQ(v.record.exit_code, 0);
  EXPECT_EQ(v.record.end_ms, kStart + 100);
  EXPECT_TRUE(v.record.reason.empty());
  v = MustGet(code);
  EXPECT_EQ(v.record.state, JobState::kFailed);
  EXPECT_EQ(v.record.reason, "exit code 3");
  v = MustGet(sig);
  EXPECT_EQ(v.record.state, JobState::kFailed);
  EXPECT_EQ(v.record.reason, "killed by signal 9");
  EXPECT_EQ(v.record.signal, 9);
  v = MustGet(err);
  EXPECT_EQ(v.record.state, JobState::kFailed);
  EXPECT_EQ(v.record.reason, "could not start: no such file: sleep");
  EXPECT_TRUE(Desired("n1").attempts.empty());
  EXPECT_EQ(controller_->Pool().summary.idle_gpus, 4);

  // A job the kernel's OOM killer ended says so, not just "killed by signal 9".
  core::JobId oom = MustSubmit(GpuJob(1)).record.id;
  AttemptReport oom_report = Exited(oom, 1, std::nullopt, 9);
  oom_report.oom_killed = true;
  ASSERT_TRUE(controller_->Report("n1", {oom_report}).ok());
  v = MustGet(oom);
  EXPECT_EQ(v.record.state, JobState::kFailed);
  EXPECT_EQ(v.record.reason.rfind("OOM killed", 0), 0u) << v.record.reason;

  // A duplicate report and one about an unknown attempt are acked and change nothing.
  acks = controller_->Report("n1", {Exited(code, 1, 0), Exited(999, 1, 0)});
  ASSERT_TRUE(acks.ok());
  EXPECT_EQ(*acks, (std::vector<AttemptKey>{{code, 1}, {999, 1}}));
  EXPECT_EQ(MustGet(code).record.state, JobState::kFailed);
}

TEST_F(ControllerTest, ReportFromAnotherNodeIsIgnored) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n2", 0)).ok());
  core::JobId id = MustSubmit(GpuJob(1)).record.id;
  auto acks = controller_->Report("n2", {Exited(id, 1, 0)});
  ASSERT_TRUE(acks.ok());
  EXPECT_EQ(acks->size(), 1u);
  EXPECT_EQ(MustGet(id).record.state, JobState::kScheduled);
}

TEST_F(ControllerTest, InfeasibleSubmitIsRejectedNamingResources) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  auto r = controller_->Submit(Admin(), GpuJob(4));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.error().field(), "resources");
  auto none = controller_->ListJobs(Admin(), store::JobFilter{});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->jobs.empty());  // nothing was stored
}

TEST_F(ControllerTest, WithoutNodesAJobWaitsWithAReason) {
  JobView v = MustSubmit(GpuJob(1));
  EXPECT_EQ(v.record.state, JobState::kPending);
  EXPECT_EQ(v.queue_position, 1);
  EXPECT_FALSE(v.record.reason.empty());
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  EXPECT_EQ(MustGet(v.record.id).record.state, JobState::kScheduled);
}

TEST_F(ControllerTest, InvalidSpecNamesTheField) {
  core::JobSpec spec = GpuJob(1);
  spec.argv.clear();
  auto r = controller_->Submit(Admin(), spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.error().field(), "argv");
}

TEST_F(ControllerTest, ListJobsPagesAndFiltersByState) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  std::vector<core::JobId> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(MustSubmit(GpuJob(1)).record.id);
  store::JobFilter f;
  f.limit = 2;
  auto page = controller_->ListJobs(Admin(), f);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->jobs.size(), 2u);
  EXPECT_EQ(page->jobs[0].record.id, ids[0]);
  ASSERT_TRUE(page->next.has_value());
  f.after_id = *page->next;
  f.limit = 10;
  page = controller_->ListJobs(Admin(), f);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->jobs.size(), 3u);
  EXPECT_FALSE(page->next.has_value());

  store::JobFilter pending;
  pending.states = {JobState::kPending};
  page = controller_->ListJobs(Admin(), pending);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->jobs.size(), 4u);
  EXPECT_EQ(page->jobs[0].queue_position, 1);  // overlaid from memory
  EXPECT_EQ(page->jobs[3].queue_position, 4);
  EXPECT_FALSE(page->jobs[0].record.reason.empty());

  store::JobFilter bad;
  bad.limit = 0;
  EXPECT_EQ(controller_->ListJobs(Admin(), bad).error().field(), "limit");
}

TEST_F(ControllerTest, RegisterRejectsBadNodes) {
  core::NodeRecord node = MakeNode("", 1);
  Status st = controller_->RegisterNode(node);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "name");
  node = MakeNode("n1", 2);
  node.spec.devices[1].index = 0;
  EXPECT_EQ(controller_->RegisterNode(node).field(), "devices");
}

TEST_F(ControllerTest, NodeGoesNotReadyAfterGraceAndBackOnReport) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  clock_.Advance(10000);
  controller_->Tick();
  ASSERT_EQ(controller_->ListNodes().size(), 1u);
  EXPECT_TRUE(controller_->ListNodes()[0].ready);  // exactly the grace: still ready
  clock_.Advance(1);
  controller_->Tick();
  EXPECT_FALSE(controller_->ListNodes()[0].ready);
  EXPECT_FALSE(controller_->Pool().gpus[0].node_ready);

  JobView v = MustSubmit(GpuJob(1));  // fits the node, which takes no new jobs now
  EXPECT_EQ(v.record.state, JobState::kPending);

  ASSERT_TRUE(controller_->Report("n1", {}).ok());
  EXPECT_TRUE(controller_->ListNodes()[0].ready);
  EXPECT_EQ(controller_->ListNodes()[0].record.last_seen_ms, clock_.Now().ms);
  EXPECT_EQ(MustGet(v.record.id).record.state, JobState::kScheduled);
}

TEST_F(ControllerTest, ShutdownAnswersParkedPolls) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  PollRecorder parked;
  controller_->WatchDesired("n1", Desired("n1").version, 30000, parked.Callback());
  EXPECT_TRUE(parked.results.empty());
  controller_->Shutdown();
  ASSERT_EQ(parked.results.size(), 1u);
  EXPECT_TRUE(parked.results[0].ok());
  EXPECT_EQ(controller_->Submit(Admin(), GpuJob(1)).error().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace fastgpu::control::testing
