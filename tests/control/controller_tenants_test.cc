// Keys (create, expire, revoke), roles, tenants (quotas through the API) and the audit log.
#include "control/auth.h"
#include "control/controller_fixture.h"
#include "control/roles.h"

namespace fastgpu::control::testing {
namespace {

using core::JobState;

Caller SubmitOnly(const std::string& tenant, const std::string& prefix) {
  return Caller{tenant, "submit-only", prefix, "ci"};
}

TEST_F(ControllerTest, CreatedKeyAuthenticatesAndIsStoredHashedOnly) {
  auto made = controller_->CreateKey(Admin(), KeyRequest{"team-a", "member", "alice", "laptop"});
  ASSERT_TRUE(made.ok()) << made.error().ToString();
  EXPECT_EQ(ApiKeyPrefix(made->key), made->record.prefix);
  auto caller = controller_->Authenticate(made->key);
  ASSERT_TRUE(caller.ok()) << caller.error().ToString();
  EXPECT_EQ(caller->tenant, "team-a");
  EXPECT_EQ(caller->role, "member");
  EXPECT_EQ(caller->user, "alice");
  auto stored = store_->GetApiKey(made->record.prefix);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->hash, Sha256Hex(made->key));
  EXPECT_EQ(stored->hash.find(made->key.substr(made->record.prefix.size() + 1)),
            std::string::npos);
}

TEST_F(ControllerTest, OnlyAdminsCreateKeysAndBadInputNamesTheField) {
  auto denied = controller_->CreateKey(Member("a"), KeyRequest{"a", "member"});
  EXPECT_EQ(denied.error().code(), StatusCode::kPermissionDenied);
  auto role = controller_->CreateKey(Admin(), KeyRequest{"a", "owner"});
  EXPECT_EQ(role.error().field(), "role");
  auto tenant = controller_->CreateKey(Admin(), KeyRequest{"Team A", "member"});
  EXPECT_EQ(tenant.error().field(), "tenant");
  KeyRequest past{"a", "member"};
  past.expires_ms = clock_.Now().ms - 1;
  EXPECT_EQ(controller_->CreateKey(Admin(), past).error().field(), "expires");
}

TEST_F(ControllerTest, ExpiredAndRevokedKeysAreUnauthenticatedAtOnce) {
  KeyRequest req{"a", "member"};
  req.expires_ms = clock_.Now().ms + 1000;
  auto expiring = controller_->CreateKey(Admin(), req);
  ASSERT_TRUE(expiring.ok());
  EXPECT_TRUE(controller_->Authenticate(expiring->key).ok());
  clock_.Advance(1000);
  auto expired = controller_->Authenticate(expiring->key);
  EXPECT_EQ(expired.error().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(expired.error().message().find("expired"), std::string::npos);

  auto key = controller_->CreateKey(Admin(), KeyRequest{"a", "member"});
  ASSERT_TRUE(key.ok());
  Caller self = *controller_->Authenticate(key->key);
  // A member may revoke only its own key; another key is "not found".
  EXPECT_EQ(controller_->RevokeKey(self, expiring->record.prefix).error().code(),
            StatusCode::kNotFound);
  auto revoked = controller_->RevokeKey(self, key->record.prefix);
  ASSERT_TRUE(revoked.ok()) << revoked.error().ToString();
  EXPECT_TRUE(revoked->revoked);
  EXPECT_EQ(revoked->revoked_ms, clock_.Now().ms);
  auto after = controller_->Authenticate(key->key);
  EXPECT_EQ(after.error().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(after.error().message().find("revoked"), std::string::npos);
}

TEST_F(ControllerTest, RolesAllowAndForbidTheirActions) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  EXPECT_TRUE(controller_->Submit(Member("a"), GpuJob(1)).ok());
  EXPECT_EQ(controller_->Submit(Viewer("a"), GpuJob(1)).error().code(),
            StatusCode::kPermissionDenied);
  auto ci = controller_->Submit(SubmitOnly("a", "fgk_ci"), GpuJob(1));
  ASSERT_TRUE(ci.ok()) << ci.error().ToString();
  EXPECT_EQ(ci->record.key_prefix, "fgk_ci");
  EXPECT_EQ(ci->record.user, "ci");
  const core::JobId id = ci->record.id;
  EXPECT_EQ(controller_->Cancel(SubmitOnly("a", "fgk_ci"), id).error().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(controller_->Cancel(Viewer("a"), id).error().code(), StatusCode::kPermissionDenied);
  // Submit-only keys see the jobs they submitted and no other.
  EXPECT_TRUE(controller_->GetJob(SubmitOnly("a", "fgk_ci"), id).ok());
  EXPECT_EQ(controller_->GetJob(SubmitOnly("a", "fgk_other"), id).error().code(),
            StatusCode::kNotFound);
  store::JobFilter all;
  auto listed = controller_->ListJobs(SubmitOnly("a", "fgk_ci"), all);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->jobs.size(), 1u);
  EXPECT_EQ(listed->jobs[0].record.id, id);
  EXPECT_EQ(controller_->ListJobs(Viewer("a"), all)->jobs.size(), 2u);
  EXPECT_TRUE(controller_->Cancel(Member("a"), id).ok());
  // Another tenant: not found, never forbidden (which would tell that the job exists).
  EXPECT_EQ(controller_->GetJob(Member("b"), id).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(controller_->Cancel(Member("b"), id).error().code(), StatusCode::kNotFound);
  EXPECT_TRUE(controller_->ListJobs(Member("b"), all)->jobs.empty());
  for (const Caller& c : {Member("a"), Viewer("a"), SubmitOnly("a", "x")}) {
    EXPECT_EQ(controller_->ListKeys(c, "").error().code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(controller_->ListAudit(c, store::AuditFilter{}).error().code(),
              StatusCode::kPermissionDenied);
    store::TenantRecord t;
    t.name = "a";
    EXPECT_EQ(controller_->PutTenant(c, t).error().code(), StatusCode::kPermissionDenied);
  }
  // Its tenant (quotas, budget, spend) is for roles that read usage.
  EXPECT_TRUE(controller_->GetTenant(Viewer("a"), "a").ok());
  EXPECT_EQ(controller_->GetTenant(SubmitOnly("a", "fgk_ci"), "a").error().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(controller_->ListTenants(SubmitOnly("a", "fgk_ci")).error().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(controller_->GetTenant(SubmitOnly("a", "fgk_ci"), "b").error().code(),
            StatusCode::kNotFound);
}

TEST_F(ControllerTest, PoolHidesOtherTenantsJobs) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 2)).ok());
  JobView a = MustSubmit(GpuJob(1), Member("a"));
  JobView b = MustSubmit(GpuJob(1, 500), Member("b"));
  PoolView seen = controller_->Pool(Member("a"));
  int own = 0, other = 0;
  for (const GpuView& g : seen.gpus) {
    for (const Allocation& x : g.allocations) {
      if (x.tenant == "a") {
        EXPECT_EQ(x.job, a.record.id);
        ++own;
      } else {
        EXPECT_EQ(x.tenant, "");
        EXPECT_EQ(x.job, 0);
        EXPECT_EQ(x.slice.milli, 500);  // how much is used stays visible
        ++other;
      }
    }
  }
  EXPECT_EQ(own, 1);
  EXPECT_EQ(other, 1);
  PoolView all = controller_->Pool(Admin());
  bool found_b = false;
  for (const GpuView& g : all.gpus) {
    for (const Allocation& x : g.allocations) found_b |= x.job == b.record.id && x.tenant == "b";
  }
  EXPECT_TRUE(found_b);
}

TEST_F(ControllerTest, TenantQuotasSetThroughTheApiApplyAtOnceAndSurviveRestarts) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 4)).ok());
  store::TenantRecord t;
  t.name = "a";
  t.max_gpus = 1;
  ASSERT_TRUE(controller_->PutTenant(Admin(), t).ok());
  JobView first = MustSubmit(GpuJob(1), Member("a"));
  JobView second = MustSubmit(GpuJob(1), Member("a"));
  EXPECT_EQ(MustGet(first.record.id).record.state, JobState::kScheduled);
  EXPECT_EQ(MustGet(second.record.id).record.state, JobState::kPending);
  EXPECT_EQ(MustGet(second.record.id).record.reason,
            "over quota: tenant a holds 1 of its max 1 GPU and this job needs 1");
  OpenController();  // restart: the stored quota still holds
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 4)).ok());
  EXPECT_EQ(MustGet(second.record.id).record.state, JobState::kPending);
  auto view = controller_->GetTenant(Member("a"), "a");
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(view->stored);
  EXPECT_EQ(view->record.max_gpus, 1);
  EXPECT_EQ(controller_->GetTenant(Member("a"), "b").error().code(), StatusCode::kNotFound);
  t.max_gpus = 2;  // raised: the waiting job starts now (the scheduler's next pass)
  ASSERT_TRUE(controller_->PutTenant(Admin(), t).ok());
  controller_->Settle();
  EXPECT_EQ(MustGet(second.record.id).record.state, JobState::kScheduled);
  t.max_gpus = -5;
  EXPECT_EQ(controller_->PutTenant(Admin(), t).error().field(), "max_gpus");
}

TEST_F(ControllerTest, MaxRunningJobsAndMaxGpuMemorySlice) {
  ASSERT_TRUE(controller_->RegisterNode(MakeNode("n1", 4)).ok());
  store::TenantRecord t;
  t.name = "a";
  t.max_running_jobs = 1;
  t.max_gpu_memory_mib = 20480;
  ASSERT_TRUE(controller_->PutTenant(Admin(), t).ok());
  auto whole = controller_->Submit(Member("a"), GpuJob(1));
  EXPECT_EQ(whole.error().field(), "resources.gpu_memory_mib");
  auto big = controller_->Submit(Member("a"), GpuJob(1, 500, 40960));
  EXPECT_EQ(big.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(big.error().message().find("at most 20480 MiB"), std::string::npos);
  JobView one = MustSubmit(GpuJob(1, 250, 10240), Member("a"));
  JobView two = MustSubmit(GpuJob(1, 250, 10240), Member("a"));
  EXPECT_EQ(MustGet(one.record.id).record.state, JobState::kScheduled);
  EXPECT_EQ(MustGet(two.record.id).record.reason, "over quota: tenant a runs 1 of its max 1 job");
}

TEST_F(ControllerTest, ListTenantsShowsEveryKnownTenantToAdminsAndOwnToOthers) {
  ASSERT_TRUE(controller_->CreateKey(Admin(), KeyRequest{"keyed", "viewer"}).ok());
  store::TenantRecord t;
  t.name = "stored";
  ASSERT_TRUE(controller_->PutTenant(Admin(), t).ok());
  auto all = controller_->ListTenants(Admin());
  ASSERT_TRUE(all.ok());
  std::vector<std::string> names;
  for (const TenantView& v : *all) names.push_back(v.record.name);
  EXPECT_EQ(names, (std::vector<std::string>{"default", "keyed", "stored"}));
  auto own = controller_->ListTenants(Member("keyed"));
  ASSERT_EQ(own->size(), 1u);
  EXPECT_EQ((*own)[0].record.name, "keyed");
  EXPECT_FALSE((*own)[0].stored);
}

TEST_F(ControllerTest, AuditRecordsAreListedForAdminsNewestFirst) {
  store::AuditRecord r;
  r.method = "POST";
  r.path = "/v1/jobs";
  r.status = 201;
  ASSERT_TRUE(controller_->RecordAudit(r).ok());
  r.status = 403;
  ASSERT_TRUE(controller_->RecordAudit(r).ok());
  auto got = controller_->ListAudit(Admin(), store::AuditFilter{});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].status, 403);
  EXPECT_EQ((*got)[0].at_ms, clock_.Now().ms);
}

}  // namespace
}  // namespace fastgpu::control::testing
