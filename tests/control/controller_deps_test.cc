// Job dependencies through the controller: holds, release, cancel cascades, bad input, arrays
// and a restart. The rules themselves: tests/core/queue/dependency_graph_test.cc.
#include "control/controller_fixture.h"
#include "fakes/controlled_store.h"

namespace fastgpu::control::testing {
namespace {

using core::JobState;
constexpr DependencyKind kOk = DependencyKind::kOk;
constexpr DependencyKind kAny = DependencyKind::kAny;

core::JobSpec After(std::vector<Dependency> deps, int32_t gpus = 1) {
  core::JobSpec spec = GpuJob(gpus);
  spec.dependencies = std::move(deps);
  return spec;
}

class ControllerDepsTest : public FileControllerTest {
 protected:
  void SetUp() override {
    FileControllerTest::SetUp();
    ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 4)).ok());
  }
  // Runs job `id` (attempt 1) to its end with `code`.
  void Finish(core::JobId id, int32_t code) {
    ASSERT_TRUE(controller_->Report("n1", {Running(id, 1)}).ok());
    ASSERT_TRUE(controller_->Report("n1", {Exited(id, 1, code)}).ok());
  }
  // A cascade commits one level per write: settles until `id` is in `state` (a few rounds).
  JobView SettleUntil(core::JobId id, JobState state) {
    JobView v;
    for (int i = 0; i < 20; ++i) {
      controller_->Settle();
      v = MustGet(id);
      if (v.record.state == state) break;
    }
    return v;
  }
  Status SubmitError(core::JobSpec spec, const Caller& caller = Admin()) {
    auto v = controller_->Submit(caller, std::move(spec));
    return v.ok() ? Status::Ok() : v.error();
  }
};

TEST_F(ControllerDepsTest, OkWaitsHeldWithoutAReservationThenRunsAfterSuccess) {
  const core::JobId a = MustSubmit(GpuJob(1)).record.id;
  // b asks for the whole node at the highest priority, c for one GPU.
  core::JobSpec big = After({{kOk, a}}, 4);
  big.priority = 100;
  JobView b = MustSubmit(big);
  const core::JobId c = MustSubmit(GpuJob(1)).record.id;
  controller_->Settle();
  b = MustGet(b.record.id);
  // Expected: b waits with the reason and the list; it reserves nothing, so c runs beside a.
  EXPECT_EQ(b.record.state, JobState::kPending);
  EXPECT_EQ(b.record.reason, "waiting for job " + std::to_string(a) + " to succeed");
  EXPECT_EQ(b.waiting_for, (std::vector<Dependency>{{kOk, a}}));
  EXPECT_EQ(MustGet(c).record.state, JobState::kScheduled);
  EXPECT_EQ(JobIds(Desired("n1")), (std::vector<core::JobId>{a, c}));
  Finish(c, 0);
  Finish(a, 0);
  controller_->Settle();
  b = MustGet(b.record.id);
  // Expected: a succeeded -> b is released and placed on the now empty node.
  EXPECT_EQ(b.record.state, JobState::kScheduled);
  EXPECT_TRUE(b.waiting_for.empty());
}

TEST_F(ControllerDepsTest, AFailureCancelsOkDependentsInCascadeAndRunsAnyOnes) {
  const core::JobId a = MustSubmit(GpuJob(1)).record.id;
  const core::JobId b = MustSubmit(After({{kOk, a}})).record.id;
  const core::JobId c = MustSubmit(After({{kOk, b}})).record.id;
  const core::JobId d = MustSubmit(After({{kAny, b}})).record.id;
  const core::JobId e = MustSubmit(After({{kAny, a}})).record.id;
  Finish(a, 3);
  // Expected: b can never run (cancelled, why), c follows b, d (any:b) and e (any:a) run.
  JobView vb = SettleUntil(b, JobState::kCancelled);
  EXPECT_EQ(vb.record.state, JobState::kCancelled);
  EXPECT_EQ(vb.record.reason, "dependency " + std::to_string(a) + " failed (exit code 3)");
  EXPECT_GT(vb.record.end_ms, 0);
  EXPECT_EQ(vb.record.attempt, 0);  // it never ran
  JobView vc = SettleUntil(c, JobState::kCancelled);
  EXPECT_EQ(vc.record.state, JobState::kCancelled);
  EXPECT_EQ(vc.record.reason, "dependency " + std::to_string(b) + " was cancelled");
  EXPECT_EQ(SettleUntil(d, JobState::kScheduled).record.state, JobState::kScheduled);
  EXPECT_EQ(SettleUntil(e, JobState::kScheduled).record.state, JobState::kScheduled);
  // The history says so too.
  auto events = controller_->JobEvents(Admin(), b);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_EQ(events->back().type, "finished");
  EXPECT_EQ(events->back().reason, vb.record.reason);
}

TEST_F(ControllerDepsTest, CancellingTheDependencyCancelsOkDependents) {
  const core::JobId a = MustSubmit(After({{kOk, MustSubmit(GpuJob(1)).record.id}})).record.id;
  const core::JobId b = MustSubmit(After({{kOk, a}})).record.id;
  ASSERT_TRUE(controller_->Cancel(Admin(), a).ok());  // a waits itself: cancelled at once
  JobView vb = SettleUntil(b, JobState::kCancelled);
  EXPECT_EQ(vb.record.reason, "dependency " + std::to_string(a) + " was cancelled");
}

TEST_F(ControllerDepsTest, FinishedDependencies) {
  const core::JobId ok = MustSubmit(GpuJob(1)).record.id;
  const core::JobId bad = MustSubmit(GpuJob(1)).record.id;
  Finish(ok, 0);
  Finish(bad, 1);
  controller_->Settle();
  // ok on a succeeded job: met at once.
  const core::JobId x = MustSubmit(After({{kOk, ok}})).record.id;
  controller_->Settle();
  EXPECT_EQ(MustGet(x).record.state, JobState::kScheduled);
  // ok on a failed job: refused, it could never run; any on it: runs.
  Status st = SubmitError(After({{kOk, bad}}));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "dependencies");
  EXPECT_EQ(st.message(), "job " + std::to_string(bad) + " already failed (exit code 1), so ok:" +
                              std::to_string(bad) + " can never be met; use any:" +
                              std::to_string(bad) + " to run after it ended in any way");
  const core::JobId y = MustSubmit(After({{kAny, bad}})).record.id;
  controller_->Settle();
  EXPECT_EQ(MustGet(y).record.state, JobState::kScheduled);
}

TEST_F(ControllerDepsTest, UnknownOtherTenantsAndLaterJobsAreRefused) {
  const core::JobId theirs = MustSubmit(GpuJob(1), Member("a")).record.id;
  const core::JobId mine = MustSubmit(GpuJob(1), Member("b")).record.id;
  Status unknown = SubmitError(After({{kOk, 999}}), Member("b"));
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);  // 999 is not submitted yet
  EXPECT_EQ(unknown.field(), "dependencies");
  // Another tenant's job: the same answer as a job that never existed (no existence leak).
  Status other = SubmitError(After({{kOk, theirs}}), Member("b"));
  EXPECT_EQ(other.code(), StatusCode::kNotFound);
  EXPECT_EQ(other.field(), "dependencies");
  EXPECT_EQ(other.message(), "job " + std::to_string(theirs) +
                                 " not found: a dependency must be one of your jobs (see "
                                 "fastgpu ps --all)");
  // The next id is the job's own: a job cannot depend on itself.
  Status self = SubmitError(After({{kOk, mine + 1}}), Member("b"));
  EXPECT_EQ(self.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(self.message().find("never on itself"), std::string::npos) << self.message();
  // Nothing was created by the refused submits.
  EXPECT_EQ(controller_->GetJob(Admin(), mine + 1).error().code(), StatusCode::kNotFound);
  EXPECT_TRUE(MustSubmit(After({{kOk, mine}}), Member("b")).record.id > mine);
}

TEST_F(ControllerDepsTest, AnArrayDependencyMeansEveryTask) {
  SubmitOptions array;
  array.array = "0-2";
  auto first = controller_->Submit(Admin(), GpuJob(1), array);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  const core::JobId a = first->record.id;
  JobView b = MustSubmit(After({{kOk, a}}));
  EXPECT_EQ(b.record.reason, "waiting for array " + std::to_string(a) +
                                 " to succeed (3 of 3 tasks left)");
  Finish(a, 0);
  Finish(a + 1, 0);
  controller_->Settle();
  EXPECT_EQ(MustGet(b.record.id).record.reason,
            "waiting for array " + std::to_string(a) + " to succeed (1 of 3 tasks left)");
  Finish(a + 2, 0);
  EXPECT_EQ(SettleUntil(b.record.id, JobState::kScheduled).record.state, JobState::kScheduled);
  // A dependent array: each task waits on its own; a failed task dooms ok dependents.
  auto second = controller_->Submit(Admin(), GpuJob(1), array);
  ASSERT_TRUE(second.ok());
  const core::JobId s = second->record.id;
  SubmitOptions two;
  two.array = "0-1";
  auto deps = controller_->Submit(Admin(), After({{kOk, s}}), two);
  ASSERT_TRUE(deps.ok()) << deps.error().ToString();
  Finish(s + 1, 4);
  const JobView t0 = SettleUntil(deps->record.id, JobState::kCancelled);
  EXPECT_EQ(t0.record.reason, "dependency " + std::to_string(s) + " (an array): its task " +
                                  std::to_string(s + 1) + " failed (exit code 4)");
  EXPECT_EQ(SettleUntil(deps->record.id + 1, JobState::kCancelled).record.state,
            JobState::kCancelled);
}

// Each task of a waiting array waits for every member on its own: the product is bounded.
TEST_F(ControllerDepsTest, AnArrayWaitingForArraysIsBoundedInWaits) {
  SubmitOptions thousand;
  thousand.array = "0-999";
  auto a = controller_->Submit(Admin(), GpuJob(1), thousand);
  auto b = controller_->Submit(Admin(), GpuJob(1), thousand);
  ASSERT_TRUE(a.ok() && b.ok());
  // 1,000 tasks x 1,000 members: accepted.
  auto fits = controller_->Submit(Admin(), After({{kOk, a->record.id}}), thousand);
  ASSERT_TRUE(fits.ok()) << fits.error().ToString();
  EXPECT_EQ(fits->record.reason,
            "waiting for array " + std::to_string(a->record.id) + " to succeed (1000 of 1000 "
            "tasks left)");
  // 1,000 tasks x 2,000 members: refused, naming the field, and nothing is stored.
  const core::JobId next = fits->record.id + 1000;
  auto refused = controller_->Submit(
      Admin(), After({{kOk, a->record.id}, {kAny, b->record.id}}), thousand);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.error().field(), "dependencies");
  EXPECT_FALSE(store_->GetJob(next).ok());
}

TEST_F(ControllerDepsTest, ARestartRebuildsTheWaitingJobs) {
  const core::JobId a = MustSubmit(GpuJob(1)).record.id;
  const core::JobId done = MustSubmit(GpuJob(1)).record.id;
  Finish(done, 0);
  const core::JobId b = MustSubmit(After({{kOk, a}, {kOk, done}})).record.id;
  const core::JobId c = MustSubmit(After({{kOk, a}})).record.id;
  ASSERT_TRUE(controller_->Report("n1", {Running(a, 1)}).ok());
  Restart();
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 4)).ok());
  controller_->Settle();
  // Expected: b still waits for a only (done had succeeded), with its reason and list.
  JobView vb = MustGet(b);
  EXPECT_EQ(vb.record.state, JobState::kPending);
  EXPECT_EQ(vb.record.reason, "waiting for job " + std::to_string(a) + " to succeed");
  EXPECT_EQ(vb.waiting_for, (std::vector<Dependency>{{kOk, a}}));
  EXPECT_EQ(JobIds(Desired("n1")), (std::vector<core::JobId>{a}));
  ASSERT_TRUE(controller_->Report("n1", {Exited(a, 1, 0)}).ok());
  EXPECT_EQ(SettleUntil(b, JobState::kScheduled).record.state, JobState::kScheduled);
  EXPECT_EQ(SettleUntil(c, JobState::kScheduled).record.state, JobState::kScheduled);
}

TEST_F(ControllerDepsTest, ARestartCancelsWhatCanNoLongerRun) {
  const core::JobId a = MustSubmit(GpuJob(1)).record.id;
  const core::JobId b = MustSubmit(After({{kOk, a}})).record.id;
  const core::JobId c = MustSubmit(After({{kOk, b}})).record.id;
  // a failed, and the server stopped before b's cancel was written: the store says so.
  controller_.reset();
  core::JobRecord failed = *store_->GetJob(a);
  failed.state = JobState::kFailed;
  failed.reason = "exit code 2";
  failed.end_ms = kStart;
  store::WriteBatch batch;
  batch.jobs.push_back(failed);
  ASSERT_TRUE(store_->Commit(batch).ok());
  Restart();
  // Expected: b and c are cancelled by the recovery, in one go.
  EXPECT_EQ(MustGet(b).record.reason, "dependency " + std::to_string(a) + " failed (exit code 2)");
  EXPECT_EQ(MustGet(b).record.state, JobState::kCancelled);
  EXPECT_EQ(MustGet(c).record.reason, "dependency " + std::to_string(b) + " was cancelled");
}

// A job whose node is gone and whose cancel was requested ends (cancelled) in the recovery
// itself: its dependents are decided from that end, not left waiting for it.
TEST_F(ControllerDepsTest, ARestartDecidesTheDependentsOfAJobItCancels) {
  const core::JobId a = MustSubmit(GpuJob(1)).record.id;
  controller_->Settle();
  ASSERT_EQ(MustGet(a).record.state, JobState::kScheduled);
  const core::JobId b = MustSubmit(After({{kAny, a}})).record.id;
  const core::JobId c = MustSubmit(After({{kOk, a}})).record.id;
  // a's node is gone from the store and its cancel was requested: the store says so.
  controller_.reset();
  core::JobRecord bound = *store_->GetJob(a);
  ASSERT_TRUE(bound.placement.has_value());
  bound.placement->node = "gone";
  bound.cancel_requested = true;
  store::WriteBatch batch;
  batch.jobs.push_back(bound);
  ASSERT_TRUE(store_->Commit(batch).ok());
  Restart();
  // Expected: a cancelled; b (any) released and placed; c (ok) cancelled because of a.
  EXPECT_EQ(MustGet(a).record.state, JobState::kCancelled);
  const JobView any = SettleUntil(b, JobState::kScheduled);
  EXPECT_EQ(any.record.state, JobState::kScheduled);
  EXPECT_TRUE(any.waiting_for.empty());
  const JobView ok = SettleUntil(c, JobState::kCancelled);
  EXPECT_EQ(ok.record.state, JobState::kCancelled);
  EXPECT_EQ(ok.record.reason, "dependency " + std::to_string(a) + " was cancelled");
}

// The cancel of a job that can never run is lost with a failed commit: the job stays held (it
// never runs), and Tick() writes the cancel again once the store takes writes.
TEST(ControllerDepsFaultTest, ALostCancelIsWrittenAgainByTick) {
  TempDir dir;
  auto inner = store::OpenSqliteStore(dir.path() + "/state.db");
  ASSERT_TRUE(inner.ok()) << inner.error().ToString();
  test::ControlledStore store(std::move(*inner));
  FakeClock clock{Instant{1'700'000'000'000}};
  ControllerOptions options;
  options.data_dir = dir.path();
  auto opened = Controller::Open(options, store, clock);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  Controller& c = **opened;
  ASSERT_TRUE(c.RegisterNode(MakeNode("n1", 1)).ok());
  auto a = c.Submit(Admin(), GpuJob(1));
  ASSERT_TRUE(a.ok());
  core::JobSpec after = GpuJob(1);
  after.dependencies = {{kOk, a->record.id}};
  auto b = c.Submit(Admin(), after);
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  ASSERT_TRUE(c.Report("n1", {Running(a->record.id, 1)}).ok());
  // The commit of a's end lands; the next one (b's cancel) and later ones fail.
  store.FailFrom(store.commits() + 2);
  ASSERT_TRUE(c.Report("n1", {Exited(a->record.id, 1, 5)}).ok());
  c.Settle();
  const std::string why = "dependency " + std::to_string(a->record.id) + " failed (exit code 5)";
  JobView held = *c.GetJob(Admin(), b->record.id);
  EXPECT_EQ(held.record.state, JobState::kPending);
  EXPECT_EQ(held.record.reason, "can never run: " + why);
  EXPECT_EQ(store.GetJob(b->record.id)->state, JobState::kPending);
  store.FailFrom(0);  // the disk has room again
  c.Tick();
  c.Settle();
  JobView ended = *c.GetJob(Admin(), b->record.id);
  EXPECT_EQ(ended.record.state, JobState::kCancelled);
  EXPECT_EQ(ended.record.reason, why);
  EXPECT_EQ(store.GetJob(b->record.id)->state, JobState::kCancelled);
}

}  // namespace
}  // namespace fastgpu::control::testing
