// Cancel, authentication and tenant scoping.
#include "control/auth.h"
#include "control/controller_fixture.h"

namespace fastgpu::control::testing {
namespace {

using core::JobState;

TEST_F(ControllerTest, CancelPendingEndsAtOnce) {
  JobView v = MustSubmit(GpuJob(1));  // no nodes: pending
  JobView behind = MustSubmit(GpuJob(1));
  EXPECT_EQ(behind.queue_position, 2);
  auto c = controller_->Cancel(Admin(), v.record.id);
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->record.state, JobState::kCancelled);
  EXPECT_EQ(c->record.reason, "cancelled by user");
  EXPECT_EQ(c->record.end_ms, clock_.Now().ms);
  EXPECT_EQ(store_->GetJob(v.record.id)->state, JobState::kCancelled);
  EXPECT_EQ(MustGet(behind.record.id).queue_position, 1);
  EXPECT_EQ(controller_->Pool().summary.pending_jobs, 1);
  // Already ended: 409.
  EXPECT_EQ(controller_->Cancel(Admin(), v.record.id).error().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(ControllerTest, CancelRunningWaitsForTheAgent) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 1)).ok());
  JobView v = MustSubmit(GpuJob(1));
  JobView waiting = MustSubmit(GpuJob(1));
  ASSERT_TRUE(controller_->Report("n1", {Running(v.record.id, 1)}).ok());
  const DesiredSet before = Desired("n1");
  ASSERT_EQ(before.attempts.size(), 1u);

  PollRecorder parked;
  controller_->WatchDesired("n1", before.version, 30000, parked.Callback());
  auto c = controller_->Cancel(Admin(), v.record.id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->record.state, JobState::kRunning);
  EXPECT_TRUE(c->record.cancel_requested);
  EXPECT_TRUE(store_->GetJob(v.record.id)->cancel_requested);
  ASSERT_EQ(parked.results.size(), 1u);  // the node is told at once
  EXPECT_TRUE(parked.results[0]->attempts.empty());
  EXPECT_GT(parked.results[0]->version, before.version);
  // The GPU is still held until the agent reports the process gone.
  EXPECT_EQ(MustGet(waiting.record.id).record.state, JobState::kPending);
  EXPECT_TRUE(controller_->Cancel(Admin(), v.record.id).ok());  // asking twice is fine

  auto acks = controller_->Report("n1", {Exited(v.record.id, 1, std::nullopt, 15)});
  ASSERT_TRUE(acks.ok());
  EXPECT_EQ(acks->size(), 1u);
  EXPECT_EQ(MustGet(v.record.id).record.state, JobState::kCancelled);
  EXPECT_EQ(MustGet(v.record.id).record.reason, "cancelled by user");
  EXPECT_EQ(MustGet(waiting.record.id).record.state, JobState::kScheduled);
  EXPECT_EQ(controller_->Cancel(Admin(), v.record.id).error().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(ControllerTest, CancelUnknownJobIsNotFound) {
  auto c = controller_->Cancel(Admin(), 12345);
  EXPECT_EQ(c.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(c.error().field(), "id");
}

TEST_F(ControllerTest, FirstStartSecretsAuthenticate) {
  Controller::Secrets s = controller_->FirstStartSecrets();
  ASSERT_FALSE(s.admin_key.empty());
  ASSERT_FALSE(s.join_token.empty());
  EXPECT_TRUE(ApiKeyPrefix(s.admin_key).has_value());
  EXPECT_EQ(s.join_token.size(), 32u);

  auto caller = controller_->Authenticate(s.admin_key);
  ASSERT_TRUE(caller.ok()) << caller.error().ToString();
  EXPECT_EQ(caller->tenant, "default");
  EXPECT_EQ(caller->role, "admin");
  EXPECT_EQ(caller->key_prefix, s.admin_key.substr(0, 12));

  // The store holds only the hash.
  auto keys = store_->ListApiKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].hash, Sha256Hex(s.admin_key));
  EXPECT_EQ(s.admin_key.find((*keys)[0].hash), std::string::npos);

  EXPECT_TRUE(controller_->AuthenticateAgent(s.join_token).ok());
}

TEST_F(ControllerTest, BadKeysAreUnauthenticated) {
  const std::string key = controller_->FirstStartSecrets().admin_key;
  std::string wrong = key;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  const std::string unknown = "fgk_00000000_" + std::string(32, 'a');
  for (const std::string& bad :
       {std::string(), std::string("hello"), key + "0", key.substr(0, key.size() - 1), wrong,
        unknown, std::string("FGK") + key.substr(3)}) {
    auto r = controller_->Authenticate(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), StatusCode::kUnauthenticated) << bad;
  }
  EXPECT_EQ(controller_->AuthenticateAgent("").code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(controller_->AuthenticateAgent(key).code(), StatusCode::kUnauthenticated);
}

TEST_F(ControllerTest, RevokedKeyIsUnauthenticated) {
  auto made = MakeApiKey("t1", "member", clock_.Now().ms);
  ASSERT_TRUE(made.ok());
  made->record.revoked = true;
  ASSERT_TRUE(store_->CreateApiKey(made->record).ok());
  EXPECT_EQ(controller_->Authenticate(made->key).error().code(), StatusCode::kUnauthenticated);
}

TEST_F(ControllerTest, SetJoinTokenReplacesTheToken) {
  const std::string old = controller_->FirstStartSecrets().join_token;
  const std::string token = "0123456789abcdef0123456789abcdef";
  ASSERT_TRUE(controller_->SetJoinToken(token).ok());
  EXPECT_TRUE(controller_->AuthenticateAgent(token).ok());
  EXPECT_EQ(controller_->AuthenticateAgent(old).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(controller_->FirstStartSecrets().join_token, token);
  EXPECT_EQ(*store_->GetMeta(kJoinTokenMetaKey).value(), Sha256Hex(token));
  EXPECT_EQ(controller_->SetJoinToken("short").field(), "join_token");
}

TEST_F(ControllerTest, TenantsSeeOnlyTheirJobs) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 4)).ok());
  JobView a = MustSubmit(GpuJob(1), Member("a"));
  JobView b = MustSubmit(GpuJob(1), Member("b"));
  EXPECT_EQ(a.record.tenant, "a");
  EXPECT_EQ(b.record.tenant, "b");

  EXPECT_TRUE(controller_->GetJob(Member("a"), a.record.id).ok());
  auto hidden = controller_->GetJob(Member("a"), b.record.id);
  EXPECT_EQ(hidden.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(controller_->Cancel(Member("a"), b.record.id).error().code(), StatusCode::kNotFound);
  bool ended = false;
  EXPECT_EQ(controller_->ReadLog(Member("a"), b.record.id, LogStream::kStdout, 0, 10, &ended)
                .error()
                .code(),
            StatusCode::kNotFound);

  store::JobFilter all;
  all.tenant = "b";  // a non-admin's tenant filter is replaced by their own
  auto page = controller_->ListJobs(Member("a"), all);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->jobs[0].record.id, a.record.id);
  page = controller_->ListJobs(Admin(), store::JobFilter{});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->jobs.size(), 2u);
  EXPECT_TRUE(controller_->GetJob(Admin(), b.record.id).ok());

  EXPECT_TRUE(controller_->GetJob(Viewer("a"), a.record.id).ok());
  EXPECT_EQ(controller_->Submit(Viewer("a"), GpuJob(1)).error().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(controller_->Cancel(Viewer("a"), a.record.id).error().code(),
            StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace fastgpu::control::testing
