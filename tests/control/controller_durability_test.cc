// Durability of the controller: idempotent submits, job histories, failed commits that leave
// nothing behind, and key revocation through the verified-key cache.
#include <sqlite3.h>

#include <set>
#include <thread>

#include "control/auth.h"
#include "control/controller_fixture.h"
#include "control/key_cache.h"
#include "fakes/controlled_store.h"

namespace fastgpu::control::testing {
namespace {

using core::JobState;

std::vector<std::string> TypesOf(const std::vector<store::JobEvent>& events) {
  std::vector<std::string> types;
  for (const store::JobEvent& e : events) types.push_back(e.type);
  return types;
}

TEST_F(ControllerTest, IdempotencyKeyReturnsTheFirstJob) {
  SubmitOptions keyed{"retry-me-1"};
  JobView first = *controller_->Submit(Admin(), GpuJob(1), keyed);
  JobView again = *controller_->Submit(Admin(), GpuJob(1), keyed);
  EXPECT_EQ(again.record.id, first.record.id);
  store::JobFilter all;
  all.limit = 100;
  EXPECT_EQ(controller_->ListJobs(Admin(), all)->jobs.size(), 1u);

  // Another spec under the same key: refused, naming the header.
  core::JobSpec other = GpuJob(2);
  auto clash = controller_->Submit(Admin(), other, keyed);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(clash.error().field(), "Idempotency-Key");
  // The same key in another tenant is another request.
  JobView theirs = *controller_->Submit(Member("team-b"), GpuJob(1), keyed);
  EXPECT_NE(theirs.record.id, first.record.id);
  // A malformed key names the header.
  auto bad = controller_->Submit(Admin(), GpuJob(1), SubmitOptions{std::string(300, 'k')});
  EXPECT_EQ(bad.error().field(), "Idempotency-Key");
}

TEST_F(ControllerTest, ConcurrentRetriesWithOneKeyCreateOneJob) {
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<core::JobId> ids;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto v = controller_->Submit(Admin(), GpuJob(1), SubmitOptions{"k" + std::to_string(i)});
        ASSERT_TRUE(v.ok()) << v.error().ToString();
        std::lock_guard<std::mutex> lock(mu);
        ids.insert(v->record.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ids.size(), 20u);  // 80 submits, 20 keys
}

TEST_F(ControllerTest, EventsTellTheJobsHistory) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  JobView v = MustSubmit(GpuJob(1));
  const core::JobId id = v.record.id;
  ASSERT_TRUE(controller_->Report("n1", {Running(id, 1)}).ok());
  ASSERT_TRUE(controller_->Report("n1", {Exited(id, 1, 3)}).ok());
  auto events = controller_->JobEvents(Admin(), id);
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  EXPECT_EQ(TypesOf(*events),
            (std::vector<std::string>{"submitted", "scheduled", "started", "finished"}));
  EXPECT_EQ((*events)[1].node, "n1");
  EXPECT_EQ((*events)[1].devices.size(), 1u);
  EXPECT_EQ((*events)[3].state, "failed");
  EXPECT_EQ((*events)[3].reason, "exit code 3");
  EXPECT_EQ((*events)[3].exit_code, 3);
  EXPECT_EQ(controller_->JobEvents(Member("other"), id).error().code(), StatusCode::kNotFound);
}

// The agent reports a short job without output only once, when it has ended.
TEST_F(ControllerTest, AnEndReportedWithoutAStartStillTellsTheStart) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  const core::JobId id = MustSubmit(GpuJob(1)).record.id;
  AttemptReport ended = Exited(id, 1, 0);
  ended.started_ms = 1'000'000;
  ended.finished_ms = 1'000'004;
  ASSERT_TRUE(controller_->Report("n1", {ended}).ok());
  auto events = controller_->JobEvents(Admin(), id);
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  EXPECT_EQ(TypesOf(*events),
            (std::vector<std::string>{"submitted", "scheduled", "started", "finished"}));
  EXPECT_EQ((*events)[2].node, "n1");
  EXPECT_EQ((*events)[2].state, "running");
  EXPECT_EQ((*events)[3].state, "succeeded");
  auto job = controller_->GetJob(Admin(), id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->record.start_ms, 1'000'000);
  EXPECT_EQ(job->record.end_ms, 1'000'004);
}

// One that could not be started never started: no such event.
TEST_F(ControllerTest, AnAttemptThatCouldNotStartHasNoStartedEvent) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  const core::JobId id = MustSubmit(GpuJob(1)).record.id;
  AttemptReport failed = Exited(id, 1, 127, std::nullopt, "exec 'x': No such file");
  ASSERT_TRUE(controller_->Report("n1", {failed}).ok());
  auto events = controller_->JobEvents(Admin(), id);
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  EXPECT_EQ(TypesOf(*events), (std::vector<std::string>{"submitted", "scheduled", "finished"}));
}

class ControllerFaultTest : public ControllerTest {
 protected:
  void SetUp() override {
    auto inner = store::OpenSqliteStore(dir_.path() + "/state.db");
    ASSERT_TRUE(inner.ok()) << inner.error().ToString();
    auto controlled = std::make_unique<test::ControlledStore>(std::move(*inner));
    controlled_ = controlled.get();
    store_ = std::move(controlled);
    OpenController();
  }
  test::ControlledStore* controlled_ = nullptr;
};

TEST_F(ControllerFaultTest, AFailedCommitAnswers503AndLeavesNothingBehind) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  JobView kept = MustSubmit(GpuJob(1));
  controlled_->SetFail(true);
  auto lost = controller_->Submit(Admin(), GpuJob(1));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code(), StatusCode::kUnavailable);
  EXPECT_NE(lost.error().message().find("disk is full"), std::string::npos);
  auto cancel = controller_->Cancel(Admin(), kept.record.id);
  EXPECT_EQ(cancel.error().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(MustGet(kept.record.id).record.cancel_requested);  // memory as the store has it
  store::JobFilter all;
  all.limit = 100;
  EXPECT_EQ(controller_->ListJobs(Admin(), all)->jobs.size(), 1u);

  controlled_->SetFail(false);  // space is back: service resumes
  JobView next = MustSubmit(GpuJob(1));
  EXPECT_GT(next.record.id, kept.record.id);
  EXPECT_TRUE(controller_->Cancel(Admin(), kept.record.id).ok());
  EXPECT_TRUE(store_->GetJob(kept.record.id)->cancel_requested);
  EXPECT_EQ(controller_->ListJobs(Admin(), all)->jobs.size(), 2u);
}

// A job placed at submit whose commit fails holds nothing: the node's GPUs stay free, and the
// next job is placed at once on them.
TEST_F(ControllerFaultTest, APlacementAtSubmitThatFailsToCommitHoldsNothing) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  controller_->Settle();
  controlled_->SetFail(true);
  auto lost = controller_->Submit(Admin(), GpuJob(2));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code(), StatusCode::kUnavailable);
  controlled_->SetFail(false);
  EXPECT_TRUE(Desired("n1").attempts.empty());
  JobView next = MustSubmit(GpuJob(2));
  EXPECT_EQ(next.record.state, core::JobState::kScheduled);
  ASSERT_TRUE(next.record.placement.has_value());
  EXPECT_EQ(next.record.placement->node, "n1");
  ASSERT_EQ(Desired("n1").attempts.size(), 1u);
  EXPECT_EQ(Desired("n1").attempts[0].job, next.record.id);
}

TEST(KeyCacheTest, RevocationTakesEffectAtOnceAfterInvalidate) {
  TempDir dir;
  const std::string path = dir.path() + "/keys.db";
  auto store = store::OpenSqliteStore(path);
  ASSERT_TRUE(store.ok());
  auto key = MakeApiKey("team-a", "member", 1);
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE((*store)->CreateApiKey(key->record).ok());
  KeyCache cache(**store);
  ASSERT_TRUE(cache.Verify(key->key, 1).ok());
  std::string wrong = key->key;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_EQ(cache.Verify(wrong, 1).error().code(), StatusCode::kUnauthenticated);

  // Revoked behind the cache (as a keys API writes it), then invalidated: refused at once.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE api_keys SET revoked = 1", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  EXPECT_TRUE(cache.Verify(key->key, 1).ok());  // the cache still has the verified record
  cache.Invalidate(key->record.prefix);
  EXPECT_EQ(cache.Verify(key->key, 1).error().message(),
            "API key " + key->record.prefix + " was revoked");
  EXPECT_EQ(cache.Verify("", 1).error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(cache.Verify("fgk_nope", 1).error().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace fastgpu::control::testing
