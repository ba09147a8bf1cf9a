// Metering from allocation events with a controllable clock: exact GPU-seconds and cost,
// across a server restart, for preempted and cancelled attempts, and per-job sums.
#include "control/controller_fixture.h"

namespace fastgpu::control::testing {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kA100Micros = 3'210'000;  // 3.21 per GPU-hour

class MeteringTest : public ControllerTest {
 protected:
  void SetUp() override {
    ControllerTest::SetUp();
    ASSERT_TRUE(controller_->PutPrice(Admin(), {"gpu:A100-80GB", 0, kA100Micros}).ok());
    ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  }
  // Submits, lets the agent start it now, and returns its id.
  core::JobId StartJob(core::JobSpec spec, const Caller& caller = Admin()) {
    JobView v = MustSubmit(std::move(spec), caller);
    EXPECT_EQ(v.record.state, core::JobState::kScheduled);
    EXPECT_TRUE(controller_->Report("n1", {Running(v.record.id, v.record.attempt,
                                                   clock_.Now().ms)}).ok());
    return v.record.id;
  }
  void Exit(core::JobId id, int32_t attempt, std::optional<int32_t> code,
            std::optional<int32_t> signal = std::nullopt) {
    AttemptReport r = Exited(id, attempt, code, signal);
    r.finished_ms = clock_.Now().ms;
    ASSERT_TRUE(controller_->Report("n1", {r}).ok());
  }
  // A tick after a heartbeat: the node stays alive however far the clock moved.
  void Tick() {
    ASSERT_TRUE(controller_->Report("n1", {}).ok());
    controller_->Tick();
    controller_->Settle();  // what the tick wrote is committed and applied
  }
  billing::Totals TenantTotal(const std::string& tenant) {
    UsageQuery q;
    q.tenant = tenant;
    q.from_ms = 0;
    auto report = controller_->Usage(Admin(), q);
    EXPECT_TRUE(report.ok()) << report.error().ToString();
    return report.ok() ? report->total : billing::Totals{};
  }
};

TEST_F(MeteringTest, QuarterA100ForAnHourAcrossARestartIsExact) {
  const core::JobId id = StartJob(GpuJob(1, 250), Member("a"));
  clock_.Advance(kHour / 2);
  EXPECT_EQ(MustGet(id).usage.gpu_milli_ms, 250 * kHour / 2);  // running: metered to now
  OpenController();  // the server restarts in the middle; the agent keeps running the job
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  clock_.Advance(kHour / 2);
  Exit(id, 1, 0);
  JobView done = MustGet(id);
  EXPECT_EQ(done.record.state, core::JobState::kSucceeded);
  EXPECT_EQ(done.usage.gpu_milli_ms, 900'000'000);  // exactly 900 GPU-seconds
  EXPECT_EQ(done.usage.gpu_micros, kA100Micros / 4);
  clock_.Advance(kHour);  // nothing accrues after the end
  EXPECT_EQ(TenantTotal("a").gpu_milli_ms, 900'000'000);
  EXPECT_EQ(TenantTotal("a").micros(), kA100Micros / 4);
  auto rows = store_->ListUsage(store::UsageFilter{});
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].devices[0].model, "A100-80GB");
  EXPECT_EQ((*rows)[0].tenant, "a");
}

TEST_F(MeteringTest, QuarterA100ForAnHourIsExactWhenTheServerRestartsFromItsDatabaseFile) {
  // The whole server goes in the middle: the controller and its SQLite database file, opened
  // again from disk, as a restarted `fastgpu server` does.
  const std::string db = dir_.path() + "/metering.db";
  auto open_server = [&] {
    controller_.reset();
    store_.reset();
    auto opened = store::OpenSqliteStore(db);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    store_ = std::move(*opened);
    OpenController();
    ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  };
  open_server();
  ASSERT_TRUE(controller_->PutPrice(Admin(), {"gpu:A100-80GB", 0, kA100Micros}).ok());
  const core::JobId quarter = StartJob(GpuJob(1, 250), Member("a"));
  const core::JobId whole = StartJob(GpuJob(1), Member("a"));
  clock_.Advance(kHour / 3);
  open_server();  // both attempts keep running on the agent meanwhile
  clock_.Advance(kHour - kHour / 3);
  Exit(quarter, 1, 0);
  Exit(whole, 1, 0);
  open_server();  // and once more after they ended: nothing changes
  clock_.Advance(kHour);
  EXPECT_EQ(MustGet(quarter).usage.gpu_milli_ms, 900'000'000);  // 900 GPU-seconds
  EXPECT_EQ(MustGet(quarter).usage.gpu_micros, kA100Micros / 4);
  EXPECT_EQ(MustGet(whole).usage.gpu_micros, kA100Micros);
  EXPECT_EQ(TenantTotal("a").gpu_milli_ms, 900'000'000 + 3'600'000'000);
  EXPECT_EQ(TenantTotal("a").micros(),
            MustGet(quarter).usage.micros() + MustGet(whole).usage.micros());
  EXPECT_EQ(TenantTotal("a").micros(), kA100Micros / 4 + kA100Micros);
}

TEST_F(MeteringTest, AnAttemptThatEndsWhileTheServerIsDownIsClosedFromTheReport) {
  const core::JobId id = StartJob(GpuJob(1));
  const int64_t started = clock_.Now().ms;
  controller_.reset();  // the server is down for two hours; the job ended after 40 minutes
  clock_.Advance(2 * kHour);
  OpenController();
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  AttemptReport r = Exited(id, 1, 0);
  r.finished_ms = started + 40 * 60'000;
  ASSERT_TRUE(controller_->Report("n1", {r}).ok());
  EXPECT_EQ(MustGet(id).usage.gpu_milli_ms, int64_t{1000} * 40 * 60'000);
}

TEST_F(MeteringTest, CancelledAndPreemptedAttemptsAreMeteredForTheTimeTheyHeldGpus) {
  const core::JobId cancelled = StartJob(GpuJob(1), Member("a"));
  clock_.Advance(10 * 60'000);
  ASSERT_TRUE(controller_->Cancel(Member("a"), cancelled).ok());
  clock_.Advance(5'000);  // the agent needs 5 s to stop it
  Exit(cancelled, 1, std::nullopt, 15);
  EXPECT_EQ(MustGet(cancelled).record.state, core::JobState::kCancelled);
  EXPECT_EQ(MustGet(cancelled).usage.gpu_milli_ms, int64_t{1000} * (10 * 60'000 + 5'000));

  core::JobSpec low = GpuJob(2);
  low.priority = -5;
  const core::JobId victim = StartJob(low, Member("b"));
  clock_.Advance(20 * 60'000);
  core::JobSpec high = GpuJob(2);
  high.priority = 5;
  JobView preemptor = MustSubmit(high, Member("c"));
  EXPECT_NE(MustGet(victim).record.preempting_for, 0);
  clock_.Advance(30'000);
  Exit(victim, 1, std::nullopt, 15);  // stopped: back in the queue
  EXPECT_EQ(MustGet(victim).record.state, core::JobState::kPending);
  // Two devices for 20 min 30 s; the requeued job keeps what it used.
  EXPECT_EQ(MustGet(victim).usage.gpu_milli_ms, int64_t{2000} * (20 * 60'000 + 30'000));
  EXPECT_EQ(MustGet(preemptor.record.id).record.state, core::JobState::kScheduled);
}

TEST_F(MeteringTest, SumOfJobCostsIsTheTenantTotal) {
  std::vector<core::JobId> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(StartJob(GpuJob(1, 125 + 100 * i), Member("a")));
    clock_.Advance(777'777 * (i + 1));
    Exit(ids.back(), 1, 0);
  }
  int64_t sum = 0;
  for (core::JobId id : ids) sum += MustGet(id).usage.micros();
  EXPECT_GT(sum, 0);
  EXPECT_EQ(sum, TenantTotal("a").micros());
  store::JobFilter f;
  auto page = controller_->ListJobs(Member("a"), f);
  int64_t listed = 0;
  for (const JobView& v : page->jobs) listed += v.usage.micros();
  EXPECT_EQ(listed, sum);
}

TEST_F(MeteringTest, UsageIsTenantScopedAndNeedsARoleThatReadsIt) {
  const core::JobId id = StartJob(GpuJob(1), Member("a"));
  clock_.Advance(kHour);
  Exit(id, 1, 0);
  UsageQuery q;
  q.from_ms = 0;
  q.tenant = "a";
  auto other = controller_->Usage(Member("b"), q);  // asks for a, gets its own (nothing)
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->total.gpu_milli_ms, 0);
  EXPECT_EQ(controller_->Usage(Caller{"a", "submit-only", "p", ""}, q).error().code(),
            StatusCode::kPermissionDenied);
  q.from_ms = clock_.Now().ms;
  q.to_ms = q.from_ms;
  EXPECT_EQ(controller_->Usage(Admin(), q).error().field(), "to");
  EXPECT_EQ(controller_->PutPrice(Member("a"), {"cpu", 0, 1}).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(controller_->PutPrice(Admin(), {"gpux", 0, 1}).field(), "resource");
}

TEST_F(MeteringTest, BudgetWarnsThenRefusesSubmitsWithAClearReason) {
  store::TenantRecord t;
  t.name = "a";
  t.budget_kind = "currency";
  t.budget_limit = 1'000'000;  // 1.00 a month
  t.budget_warn_percent = 50;
  ASSERT_TRUE(controller_->PutTenant(Admin(), t).ok());
  const core::JobId id = StartJob(GpuJob(1), Member("a"));
  clock_.Advance(10 * 60'000);  // 0.535 spent: past the warning
  Tick();
  auto events = controller_->ListBillingEvents(Member("a"), "a");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "budget_warning");
  EXPECT_NE((*events)[0].message.find("used 0.535 USD of 1.00 USD (53 %)"), std::string::npos)
      << (*events)[0].message;
  EXPECT_TRUE(controller_->Submit(Member("a"), GpuJob(1)).ok());  // still under 100 %
  clock_.Advance(10 * 60'000);  // 1.07: spent
  Exit(id, 1, 0);
  auto refused = controller_->Submit(Member("a"), GpuJob(1));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.error().field(), "budget");
  EXPECT_NE(refused.error().message().find("budget exhausted: tenant a used 1.07 USD of its "
                                           "1.00 USD budget"),
            std::string::npos)
      << refused.error().message();
  EXPECT_TRUE(controller_->Submit(Member("b"), GpuJob(1)).ok());  // others are not affected
  auto view = controller_->GetTenant(Admin(), "a");
  EXPECT_EQ(view->budget_used, 1'070'000);
  Tick();
  Tick();  // events come once a month
  EXPECT_EQ(controller_->ListBillingEvents(Admin(), "a")->size(), 2u);
  EXPECT_EQ(controller_->ListBillingEvents(Member("b"), "a").error().code(),
            StatusCode::kNotFound);
}

TEST_F(MeteringTest, SpentBudgetWithPreemptStopsThePreemptibleJobs) {
  store::TenantRecord t;
  t.name = "a";
  t.budget_kind = "gpu_hours";
  t.budget_limit = 500;  // 0.5 GPU-hours
  t.budget_preempt = true;
  ASSERT_TRUE(controller_->PutTenant(Admin(), t).ok());
  const core::JobId normal = StartJob(GpuJob(1), Member("a"));
  core::JobSpec urgent = GpuJob(1);
  urgent.priority = 10;
  const core::JobId kept = StartJob(urgent, Member("a"));
  clock_.Advance(15 * 60'000 + 1);  // 2 GPUs x 15 min: 0.5 GPU-hours
  Tick();
  EXPECT_TRUE(MustGet(normal).record.cancel_requested);
  EXPECT_FALSE(MustGet(kept).record.cancel_requested);
  EXPECT_EQ(Desired("n1").attempts.size(), 1u);  // the agent is told to stop it
  Exit(normal, 1, std::nullopt, 15);
  EXPECT_EQ(MustGet(normal).record.state, core::JobState::kCancelled);
  EXPECT_EQ(MustGet(normal).record.reason,
            "stopped: tenant a spent its budget for " + billing::FormatMonth(clock_.Now().ms));
  EXPECT_EQ(controller_->Submit(Member("a"), GpuJob(1)).error().field(), "budget");
}

TEST_F(MeteringTest, KeyBudgetRefusesThatKeysSubmitsAndWarnsInItsTenantsEvents) {
  KeyRequest request{"a", "member", "alice", "", 0, KeyBudget{"currency", 1'000'000, 50}};
  auto made = controller_->CreateKey(Admin(), request);
  ASSERT_TRUE(made.ok()) << made.error().ToString();
  const std::string prefix = made->record.prefix;
  const Caller alice = *controller_->Authenticate(made->key);
  const Caller bob = *controller_->Authenticate(
      controller_->CreateKey(Admin(), KeyRequest{"a", "member", "bob"})->key);
  const core::JobId id = StartJob(GpuJob(1), alice);
  clock_.Advance(10 * 60'000);  // 0.535 of 1.00: past the key's 50 % warning
  Tick();
  auto events = controller_->ListBillingEvents(Member("a"), "a");
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "budget_warning");
  EXPECT_EQ((*events)[0].key_prefix, prefix);
  EXPECT_NE((*events)[0].message.find("key " + prefix + " (alice of tenant a) used 0.535 USD of "
                                      "1.00 USD (53 %)"),
            std::string::npos)
      << (*events)[0].message;
  EXPECT_TRUE(controller_->Submit(alice, GpuJob(1)).ok());  // under 100 %
  clock_.Advance(10 * 60'000);
  Exit(id, 1, 0);  // 1.07 spent
  auto refused = controller_->Submit(alice, GpuJob(1));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.error().field(), "budget");
  EXPECT_NE(refused.error().message().find("budget exhausted: key " + prefix +
                                           " (alice of tenant a) used 1.07 USD of its 1.00 USD "
                                           "budget for "),
            std::string::npos)
      << refused.error().message();
  EXPECT_TRUE(controller_->Submit(bob, GpuJob(1)).ok());  // its tenant has no budget
  EXPECT_EQ(*controller_->KeyBudgetUsed(Admin(), prefix), 1'070'000);
  Tick();
  EXPECT_EQ(controller_->ListBillingEvents(Admin(), "a")->front().kind, "budget_exhausted");
  // The budget survives a restart; an admin raises it and the key submits again.
  OpenController();
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  EXPECT_EQ(controller_->Submit(alice, GpuJob(1)).error().field(), "budget");
  EXPECT_EQ(controller_->SetKeyBudget(Member("a"), prefix, {"currency", 2'000'000, 80}).error()
                .code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(controller_->SetKeyBudget(Admin(), "fgk_nope", {"currency", 1, 80}).error().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(controller_->SetKeyBudget(Admin(), prefix, {"euros", 1, 80}).error().field(),
            "budget.kind");
  auto raised = controller_->SetKeyBudget(Admin(), prefix, {"currency", 2'000'000, 80});
  ASSERT_TRUE(raised.ok()) << raised.error().ToString();
  EXPECT_EQ(raised->budget_limit, 2'000'000);
  EXPECT_TRUE(controller_->Submit(alice, GpuJob(1)).ok());
  ASSERT_TRUE(controller_->SetKeyBudget(Admin(), prefix, {"", 0, 80}).ok());  // removed
  EXPECT_EQ(*controller_->KeyBudgetUsed(Admin(), prefix), 0);
}

}  // namespace
}  // namespace fastgpu::control::testing
