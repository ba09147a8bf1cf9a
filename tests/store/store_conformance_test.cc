// The conformance suite every Store backend passes (the fixture is in store_conformance.h). To
// cover a new backend, instantiate it in a file of its own, as store_conformance_sqlite.cc does.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/store_conformance.h"

namespace fastgpu::store {
namespace {

using core::JobRecord;
using core::JobState;

JobRecord MakeJob(const std::string& name, JobState state = JobState::kPending,
                  const std::string& tenant = "default") {
  JobRecord job;
  job.tenant = tenant;
  job.spec.name = name;
  job.spec.argv = {"/bin/true"};
  job.state = state;
  job.submit_ms = 1000;
  return job;
}

// A record with every field set to a non-default value.
JobRecord FullJob() {
  JobRecord job;
  job.tenant = "team-a";
  job.spec.name = "train \"resnet\" ü";
  job.spec.argv = {"python", "train.py", "--lr", "0.1", ""};
  job.spec.env = {{"CUDA_LAUNCH_BLOCKING", "1"}, {"EMPTY", ""}, {"QUOTE", "a\"b\\c\n"}};
  job.spec.workdir = "/data/run";
  job.spec.resources.gpu_count = 1;
  job.spec.resources.gpu_milli = 250;
  job.spec.resources.gpu_memory_mib = 10240;
  job.spec.resources.cpu_milli = 4000;
  job.spec.resources.memory_mib = 16384;
  job.spec.resources.gpu_models = {"A100-80GB", "NVIDIA H100 80GB HBM3"};
  job.spec.priority = -7;
  job.spec.max_retries = 3;
  job.spec.time_limit_s = 3600;
  job.state = JobState::kFailed;
  job.reason = "exited with code 2";
  job.submit_ms = 1700000000000;
  job.start_ms = 1700000001000;
  job.end_ms = 1700000099000;
  job.attempt = 2;
  core::Placement placement;
  placement.node = "gpu-01";
  placement.devices = {{0, "GPU-aaaa", {250, 10240}}, {3, "GPU-dddd", {1000, 0}}};
  placement.cpu_milli = 4000;
  placement.memory_mib = 16384;
  job.placement = placement;
  job.exit_code = 2;
  job.signal = 9;
  job.cancel_requested = true;
  job.user = "alice";
  job.key_prefix = "fgk_0123abcd";
  return job;
}

TEST_P(StoreConformanceTest, CommitKeepsGivenIdsAndMaxJobIdFollows) {
  EXPECT_EQ(*store_->MaxJobId(), 0);
  JobRecord a = MakeJob("a");
  a.id = 7;
  JobRecord b = MakeJob("b");
  b.id = 3;
  ASSERT_TRUE(Put({a, b}).ok());
  EXPECT_EQ(*store_->MaxJobId(), 7);
  EXPECT_EQ(store_->GetJob(7)->spec.name, "a");
  EXPECT_EQ(store_->GetJob(3)->spec.name, "b");
  core::JobId next = Create(MakeJob("c"));
  EXPECT_EQ(next, 8);
  JobRecord bad = MakeJob("zero");
  bad.id = 0;
  Status st = Put({bad});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  EXPECT_EQ(st.field(), "id");
}

TEST_P(StoreConformanceTest, RoundTripsEveryField) {
  JobRecord full = FullJob();
  full.id = Create(full);
  auto got = store_->GetJob(full.id);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(*got, full);
}

// Job dependencies live in the spec (spec_json): they come back from every read, including
// the active-job list the controller rebuilds its queue (and dependency graph) from.
TEST_P(StoreConformanceTest, RoundTripsDependenciesForRecovery) {
  JobRecord first = MakeJob("first", JobState::kSucceeded);
  first.id = Create(first);
  JobRecord waiting = MakeJob("waiting");
  waiting.spec.dependencies = {{DependencyKind::kOk, first.id}, {DependencyKind::kAny, 42},
                               {DependencyKind::kOk, 43}};
  waiting.id = Create(waiting);
  auto got = store_->GetJob(waiting.id);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->spec.dependencies, waiting.spec.dependencies);
  auto active = store_->ListActiveJobs();
  ASSERT_TRUE(active.ok()) << active.error().ToString();
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ(active->at(0), waiting);
  EXPECT_TRUE(store_->GetJob(first.id)->spec.dependencies.empty());
}

TEST_P(StoreConformanceTest, RoundTripsAbsentOptionals) {
  JobRecord job = MakeJob("bare");
  job.spec.argv.clear();
  job.id = Create(job);
  auto got = store_->GetJob(job.id);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(*got, job);
  EXPECT_FALSE(got->placement.has_value());
  EXPECT_FALSE(got->exit_code.has_value());
  EXPECT_FALSE(got->signal.has_value());
}

TEST_P(StoreConformanceTest, CommitReplacesWholeRecords) {
  JobRecord a = MakeJob("a");
  a.id = Create(a);
  JobRecord b = MakeJob("b");
  b.id = Create(b);
  JobRecord a2 = FullJob();
  a2.id = a.id;
  b.state = JobState::kRunning;
  b.start_ms = 5000;
  ASSERT_TRUE(Put({a2, b}).ok());
  EXPECT_EQ(*store_->GetJob(a.id), a2);
  EXPECT_EQ(*store_->GetJob(b.id), b);
  // Clearing optionals is an update too.
  a2.placement.reset();
  a2.exit_code.reset();
  a2.signal.reset();
  ASSERT_TRUE(Put({a2}).ok());
  EXPECT_EQ(*store_->GetJob(a.id), a2);
  EXPECT_TRUE(store_->Commit(WriteBatch{}).ok());
}

TEST_P(StoreConformanceTest, CommitIsAllOrNothing) {
  JobRecord a = MakeJob("a");
  a.id = Create(a);
  JobRecord a2 = a;
  a2.state = JobState::kCancelled;
  JobRecord broken = MakeJob("broken");
  broken.id = a.id + 1;
  broken.spec.env["BAD"] = std::string("\xff\xfe", 2);  // not UTF-8: cannot be stored
  WriteBatch batch;
  batch.jobs = {a2, broken};
  batch.events = {store::JobEvent{a.id, 1, "finished", 1, "", {}, "cancelled", "", {}}};
  batch.meta = {{"k", "v"}};
  Status status = store_->Commit(batch);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
  EXPECT_EQ(*store_->GetJob(a.id), a);  // written before the bad record, rolled back
  EXPECT_EQ(store_->GetJob(broken.id).error().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListJobEvents(a.id)->empty());
  EXPECT_EQ(*store_->GetMeta("k"), std::nullopt);
  EXPECT_EQ(*store_->MaxJobId(), a.id);
}

TEST_P(StoreConformanceTest, GetJobMissingIsNotFoundNamingId) {
  auto got = store_->GetJob(42);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(got.error().field(), "id");
}

TEST_P(StoreConformanceTest, ListJobsFiltersByStateAndTenant) {
  core::JobId p1 = Create(MakeJob("p1", JobState::kPending, "t1"));
  core::JobId r1 = Create(MakeJob("r1", JobState::kRunning, "t1"));
  core::JobId p2 = Create(MakeJob("p2", JobState::kPending, "t2"));
  core::JobId s2 = Create(MakeJob("s2", JobState::kSucceeded, "t2"));
  EXPECT_EQ(Ids({}), (std::vector<core::JobId>{p1, r1, p2, s2}));
  EXPECT_EQ(Ids({.states = {JobState::kPending}}), (std::vector<core::JobId>{p1, p2}));
  EXPECT_EQ(Ids({.states = {JobState::kSucceeded, JobState::kRunning, JobState::kRunning}}),
            (std::vector<core::JobId>{r1, s2}));
  EXPECT_EQ(Ids({.tenant = "t2"}), (std::vector<core::JobId>{p2, s2}));
  EXPECT_EQ(Ids({.states = {JobState::kPending}, .tenant = "t1"}), (std::vector<core::JobId>{p1}));
  EXPECT_EQ(Ids({.states = {JobState::kFailed}}), (std::vector<core::JobId>{}));
  EXPECT_EQ(Ids({.tenant = "nobody"}), (std::vector<core::JobId>{}));
}

TEST_P(StoreConformanceTest, ListJobsPaginatesInIdOrder) {
  std::vector<core::JobId> all;
  for (int i = 0; i < 7; ++i) all.push_back(Create(MakeJob("j" + std::to_string(i))));
  // Pages of 3 walk all seven in order: 3 + 3 + 1, then an empty page.
  std::vector<core::JobId> walked;
  core::JobId after = 0;
  for (int page = 0; page < 4; ++page) {
    std::vector<core::JobId> ids = Ids({.after_id = after, .limit = 3});
    EXPECT_EQ(ids.size(), page < 2 ? 3u : page == 2 ? 1u : 0u) << "page " << page;
    if (ids.empty()) break;
    walked.insert(walked.end(), ids.begin(), ids.end());
    after = ids.back();
  }
  EXPECT_EQ(walked, all);
  EXPECT_EQ(Ids({.after_id = all[4]}), (std::vector<core::JobId>{all[5], all[6]}));
  EXPECT_TRUE(Ids({.limit = 0}).empty());
  EXPECT_EQ(store_->ListJobs({.limit = -1}).error().field(), "limit");
}

TEST_P(StoreConformanceTest, ListActiveJobsReturnsNonTerminalById) {
  core::JobId pending = Create(MakeJob("a", JobState::kPending));
  Create(MakeJob("b", JobState::kSucceeded));
  core::JobId running = Create(MakeJob("c", JobState::kRunning));
  Create(MakeJob("d", JobState::kFailed));
  core::JobId scheduled = Create(MakeJob("e", JobState::kScheduled));
  Create(MakeJob("f", JobState::kCancelled));
  auto active = store_->ListActiveJobs();
  ASSERT_TRUE(active.ok()) << active.error().ToString();
  std::vector<core::JobId> ids;
  for (const JobRecord& job : *active) ids.push_back(job.id);
  EXPECT_EQ(ids, (std::vector<core::JobId>{pending, running, scheduled}));
}

TEST_P(StoreConformanceTest, CountsJobsByState) {
  EXPECT_TRUE(store_->CountJobsByState()->empty());
  Create(MakeJob("a", JobState::kPending));
  Create(MakeJob("b", JobState::kSucceeded));
  Create(MakeJob("c", JobState::kSucceeded));
  auto counts = store_->CountJobsByState();
  ASSERT_TRUE(counts.ok()) << counts.error().ToString();
  EXPECT_EQ(*counts, (std::map<JobState, int64_t>{{JobState::kPending, 1},
                                                  {JobState::kSucceeded, 2}}));
}

TEST_P(StoreConformanceTest, JobEventsComeBackInWriteOrder) {
  core::JobId a = Create(MakeJob("a"));
  core::JobId b = Create(MakeJob("b"));
  store::JobEvent submitted{a, 10, "submitted", 0, "", {}, "pending", "", {}};
  store::JobEvent scheduled{a, 11, "scheduled", 1, "n1", {0, 3}, "scheduled", "", {}};
  store::JobEvent other{b, 11, "submitted", 0, "", {}, "pending", "", {}};
  store::JobEvent finished{a, 12, "finished", 1, "n1", {}, "failed", "exit code 3", 3};
  WriteBatch first;
  first.events = {submitted, other, scheduled};
  ASSERT_TRUE(store_->Commit(first).ok());
  WriteBatch second;
  second.events = {finished};
  ASSERT_TRUE(store_->Commit(second).ok());
  auto events = store_->ListJobEvents(a);
  ASSERT_TRUE(events.ok()) << events.error().ToString();
  EXPECT_EQ(*events, (std::vector<store::JobEvent>{submitted, scheduled, finished}));
  EXPECT_EQ(*store_->ListJobEvents(b), std::vector<store::JobEvent>{other});
  EXPECT_TRUE(store_->ListJobEvents(999)->empty());
}

TEST_P(StoreConformanceTest, IdempotencyKeysListReplaceAndExpire) {
  IdempotencyRecord old{"t1", "k1", "h1", 1, 100};
  IdempotencyRecord other_tenant{"t2", "k1", "h2", 2, 200};
  IdempotencyRecord fresh{"t1", "k2", "h3", 3, 300};
  WriteBatch batch;
  batch.idempotency_keys = {old, other_tenant, fresh};
  ASSERT_TRUE(store_->Commit(batch).ok());
  EXPECT_EQ(*store_->ListIdempotencyKeys(0),
            (std::vector<IdempotencyRecord>{old, other_tenant, fresh}));
  EXPECT_EQ(*store_->ListIdempotencyKeys(200),
            (std::vector<IdempotencyRecord>{other_tenant, fresh}));
  // Same tenant and key: replaced.
  IdempotencyRecord again{"t1", "k1", "h9", 9, 400};
  WriteBatch replace;
  replace.idempotency_keys = {again};
  replace.expire_idempotency_before_ms = 250;  // drops other_tenant (200); again is 400
  ASSERT_TRUE(store_->Commit(replace).ok());
  EXPECT_EQ(*store_->ListIdempotencyKeys(0), (std::vector<IdempotencyRecord>{fresh, again}));
}

TEST_P(StoreConformanceTest, NodesUpsertReplaceAndList) {
  core::NodeRecord b;
  b.spec.name = "node-b";
  b.spec.devices = {{0, "GPU-1", "A100-80GB", 81920}, {1, "GPU-2", "A100-80GB", 81920}};
  b.spec.cpu_milli = 64000;
  b.spec.memory_mib = 512000;
  b.spec.labels = {{"zone", "eu-1"}, {"rack", "7"}};
  b.simulated = true;
  b.registered_ms = 10;
  b.last_seen_ms = 20;
  b.cordoned = true;
  core::NodeRecord a;
  a.spec.name = "node-a";
  ASSERT_TRUE(PutNode(b).ok());
  ASSERT_TRUE(PutNode(a).ok());
  auto nodes = store_->ListNodes();
  ASSERT_TRUE(nodes.ok()) << nodes.error().ToString();
  EXPECT_EQ(*nodes, (std::vector<core::NodeRecord>{a, b}));  // by name

  b.spec.devices.pop_back();
  b.spec.devices[0].healthy = false;  // the agent saw XID errors on it: kept across restarts
  b.spec.labels.erase("rack");
  b.simulated = false;
  b.last_seen_ms = 99;
  b.draining = true;
  ASSERT_TRUE(PutNode(b).ok());
  nodes = store_->ListNodes();
  ASSERT_TRUE(nodes.ok());
  EXPECT_EQ(*nodes, (std::vector<core::NodeRecord>{a, b}));
  core::NodeRecord unnamed;
  EXPECT_EQ(PutNode(unnamed).field(), "name");
}

TEST_P(StoreConformanceTest, ApiKeysCreateGetListAndRejectDuplicates) {
  ApiKeyRecord admin{"fgk_b", "ab12", "default", "admin", 5, false};
  ApiKeyRecord viewer{"fgk_a", "cd34", "team-a", "viewer", 6, true};
  ASSERT_TRUE(store_->CreateApiKey(admin).ok());
  ASSERT_TRUE(store_->CreateApiKey(viewer).ok());

  ApiKeyRecord clash = viewer;
  clash.hash = "other";
  Status status = store_->CreateApiKey(clash);
  EXPECT_EQ(status.code(), StatusCode::kAlreadyExists) << status.ToString();

  auto got = store_->GetApiKey("fgk_a");
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(*got, viewer);  // the duplicate changed nothing
  auto missing = store_->GetApiKey("fgk_zzz");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);

  auto keys = store_->ListApiKeys();
  ASSERT_TRUE(keys.ok()) << keys.error().ToString();
  EXPECT_EQ(*keys, (std::vector<ApiKeyRecord>{viewer, admin}));  // by prefix
}

TEST_P(StoreConformanceTest, ApiKeyUpdateReplacesEveryFieldOrIsNotFound) {
  ApiKeyRecord key{"fgk_c", "ef56", "team-b", "submit-only", 7, false};
  key.user = "ci-bot";
  key.label = "CI of repo x";
  key.expires_ms = 99;
  key.budget_kind = "currency";
  key.budget_limit = 2'500'000;
  key.budget_warn_percent = 60;
  ASSERT_TRUE(store_->CreateApiKey(key).ok());
  EXPECT_EQ(*store_->GetApiKey("fgk_c"), key);
  key.revoked = true;
  key.revoked_ms = 50;
  key.budget_kind = "gpu_hours";
  key.budget_limit = 1500;
  ASSERT_TRUE(store_->UpdateApiKey(key).ok());
  EXPECT_EQ(*store_->GetApiKey("fgk_c"), key);
  ApiKeyRecord ghost = key;
  ghost.prefix = "fgk_nope";
  EXPECT_EQ(store_->UpdateApiKey(ghost).code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, TenantsPutGetListReplace) {
  TenantRecord a{"research", 10, 3, 2, 8, 20, 40960, "currency", 5'000'000'000, 75, true};
  TenantRecord b;
  b.name = "alpha";
  ASSERT_TRUE(store_->PutTenant(a).ok());
  ASSERT_TRUE(store_->PutTenant(b).ok());
  EXPECT_EQ(*store_->GetTenant("research"), a);
  a.max_gpus = 4;
  a.budget_kind = "gpu_hours";
  ASSERT_TRUE(store_->PutTenant(a).ok());
  EXPECT_EQ(*store_->GetTenant("research"), a);
  EXPECT_EQ(*store_->ListTenants(), (std::vector<TenantRecord>{b, a}));  // by name
  EXPECT_EQ(store_->GetTenant("zzz").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->PutTenant(TenantRecord{}).code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, AuditAppendsAndListsNewestFirstByTenant) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    AuditRecord r;
    r.at_ms = 100 + i;
    r.key_prefix = "fgk_" + std::to_string(i);
    r.tenant = i % 2 == 0 ? "a" : "b";
    r.user = "u";
    r.role = "member";
    r.method = "POST";
    r.path = "/v1/jobs";
    r.status = 201;
    r.remote = "127.0.0.1:1";
    r.detail = "job " + std::to_string(i);
    auto id = store_->AppendAudit(r);
    ASSERT_TRUE(id.ok()) << id.error().ToString();
    ids.push_back(*id);
  }
  EXPECT_LT(ids[0], ids[4]);
  auto all = store_->ListAudit(AuditFilter{});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].id, ids[4]);
  EXPECT_EQ((*all)[0].detail, "job 4");
  EXPECT_EQ((*all)[4].remote, "127.0.0.1:1");
  auto a = store_->ListAudit(AuditFilter{"a", 0, 100});
  ASSERT_EQ(a->size(), 3u);
  auto page = store_->ListAudit(AuditFilter{"", ids[3], 2});
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, ids[2]);
  EXPECT_EQ((*page)[1].id, ids[1]);
}

UsageRecord MakeUsage(core::JobId job, int32_t attempt, int64_t start, int64_t end,
                      const std::string& tenant = "a") {
  UsageRecord u;
  u.job = job;
  u.attempt = attempt;
  u.tenant = tenant;
  u.user = "alice";
  u.node = "n1";
  u.devices = {{0, "A100-80GB", 250, 20480}, {3, "H100 \"x\"", 1000, 81920}};
  u.cpu_milli = 2000;
  u.memory_mib = 4096;
  u.start_ms = start;
  u.end_ms = end;
  return u;
}

TEST_P(StoreConformanceTest, CommitWritesJobsAndUsageTogether) {
  const core::JobId id = Create(MakeJob("j"));
  JobRecord job = *store_->GetJob(id);
  job.state = JobState::kRunning;
  UsageRecord open = MakeUsage(id, 1, 1000, 0);
  auto commit = [&](std::vector<JobRecord> jobs, std::vector<UsageRecord> usage) {
    WriteBatch batch;
    batch.jobs = std::move(jobs);
    batch.usage = std::move(usage);
    return store_->Commit(batch);
  };
  ASSERT_TRUE(commit({job}, {open}).ok());
  EXPECT_EQ(store_->GetJob(id)->state, JobState::kRunning);
  EXPECT_EQ(*store_->ListUsage(UsageFilter{}), std::vector<UsageRecord>{open});
  // Closing replaces the row of the same attempt.
  UsageRecord closed = open;
  closed.end_ms = 5000;
  job.state = JobState::kSucceeded;
  ASSERT_TRUE(commit({job}, {closed}).ok());
  EXPECT_EQ(*store_->ListUsage(UsageFilter{}), std::vector<UsageRecord>{closed});
  // All or nothing: a job that cannot be stored rolls the usage row back too.
  JobRecord broken = job;
  broken.id = id + 1;
  broken.spec.env["BAD"] = std::string("\xff\xfe", 2);
  EXPECT_EQ(commit({broken}, {MakeUsage(id + 1, 1, 1, 2)}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListUsage(UsageFilter{})->size(), 1u);
}

TEST_P(StoreConformanceTest, ListUsageByOverlapTenantAndJobs) {
  WriteBatch batch;
  batch.usage = {MakeUsage(1, 1, 100, 200), MakeUsage(1, 2, 300, 0),
                 MakeUsage(2, 1, 150, 400, "b"), MakeUsage(3, 1, 500, 600)};
  ASSERT_TRUE(store_->Commit(batch).ok());
  auto window = [&](int64_t from, int64_t to, const std::string& tenant = "") {
    UsageFilter f;
    f.from_ms = from;
    f.to_ms = to;
    f.tenant = tenant;
    std::vector<std::pair<int64_t, int32_t>> out;
    auto got = store_->ListUsage(f);
    for (const UsageRecord& u : *got) out.emplace_back(u.job, u.attempt);
    return out;
  };
  using V = std::vector<std::pair<int64_t, int32_t>>;
  EXPECT_EQ(window(0, 1000), (V{{1, 1}, {1, 2}, {2, 1}, {3, 1}}));
  EXPECT_EQ(window(200, 300), (V{{2, 1}}));           // [100,200) ends at 200; 300 starts at 300
  EXPECT_EQ(window(700, 800), (V{{1, 2}}));           // the open one
  EXPECT_EQ(window(0, 1000, "b"), (V{{2, 1}}));
  UsageFilter jobs;
  jobs.jobs = {3, 2};
  EXPECT_EQ(store_->ListUsage(jobs)->size(), 2u);
  jobs.jobs = {1};
  EXPECT_EQ(store_->ListUsage(jobs)->size(), 2u);
}

TEST_P(StoreConformanceTest, ListUsageByKeyPrefix) {
  WriteBatch batch;
  batch.usage = {MakeUsage(1, 1, 100, 200), MakeUsage(2, 1, 150, 0), MakeUsage(3, 1, 100, 900)};
  batch.usage[0].key_prefix = "fgk_k1";
  batch.usage[1].key_prefix = "fgk_k1";
  batch.usage[2].key_prefix = "fgk_k2";
  ASSERT_TRUE(store_->Commit(batch).ok());
  UsageFilter f;
  f.key_prefix = "fgk_k1";
  auto got = store_->ListUsage(f);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(*got, (std::vector<UsageRecord>{batch.usage[0], batch.usage[1]}));
  f.from_ms = 300;  // with a window, and with jobs
  f.jobs = {2, 3};
  EXPECT_EQ(*store_->ListUsage(f), std::vector<UsageRecord>{batch.usage[1]});
}

TEST_P(StoreConformanceTest, PricesPutReplaceAndList) {
  PriceRecord a{"gpu:A100-80GB", 0, 2'000'000};
  PriceRecord b{"gpu:A100-80GB", 1000, 2'500'000};
  PriceRecord c{"cpu", 0, 40'000};
  ASSERT_TRUE(store_->PutPrice(b).ok());
  ASSERT_TRUE(store_->PutPrice(a).ok());
  ASSERT_TRUE(store_->PutPrice(c).ok());
  b.micros = 3'000'000;
  ASSERT_TRUE(store_->PutPrice(b).ok());
  EXPECT_EQ(*store_->ListPrices(), (std::vector<PriceRecord>{c, a, b}));
  EXPECT_EQ(store_->PutPrice(PriceRecord{}).code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, BillingEventsOncePerTenantKindAndPeriod) {
  BillingEvent w{0, "a", "budget_warning", "2024-05", 10, "80 %"};
  EXPECT_TRUE(*store_->AddBillingEvent(w));
  EXPECT_FALSE(*store_->AddBillingEvent(w));  // the same month again: nothing new
  w.period = "2024-06";
  EXPECT_TRUE(*store_->AddBillingEvent(w));
  EXPECT_TRUE(*store_->AddBillingEvent({0, "b", "budget_exhausted", "2024-06", 20, "100 %"}));
  auto a = store_->ListBillingEvents("a", 10);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].period, "2024-06");
  EXPECT_EQ((*a)[1].message, "80 %");
  EXPECT_EQ(store_->ListBillingEvents("", 10)->size(), 3u);
  EXPECT_EQ(store_->ListBillingEvents("", 1)->size(), 1u);
  // A key's budget events are its own: once per tenant, key, kind and period.
  BillingEvent k{0, "a", "budget_warning", "2024-06", 30, "key 80 %", "fgk_k1"};
  EXPECT_TRUE(*store_->AddBillingEvent(k));
  EXPECT_FALSE(*store_->AddBillingEvent(k));
  k.key_prefix = "fgk_k2";
  EXPECT_TRUE(*store_->AddBillingEvent(k));
  a = store_->ListBillingEvents("a", 10);
  ASSERT_EQ(a->size(), 4u);
  EXPECT_EQ((*a)[0], (BillingEvent{(*a)[0].id, "a", "budget_warning", "2024-06", 30, "key 80 %",
                                   "fgk_k2"}));
  EXPECT_EQ((*a)[2].key_prefix, "");
}

TEST_P(StoreConformanceTest, MetaGetPutOverwrite) {
  auto unset = store_->GetMeta("join_token_hash");
  ASSERT_TRUE(unset.ok());
  EXPECT_EQ(*unset, std::nullopt);
  ASSERT_TRUE(store_->PutMeta("join_token_hash", "v1").ok());
  ASSERT_TRUE(store_->PutMeta("other", "").ok());
  EXPECT_EQ(*store_->GetMeta("join_token_hash"), std::optional<std::string>("v1"));
  ASSERT_TRUE(store_->PutMeta("join_token_hash", "v2").ok());
  EXPECT_EQ(*store_->GetMeta("join_token_hash"), std::optional<std::string>("v2"));
  EXPECT_EQ(*store_->GetMeta("other"), std::optional<std::string>(""));
  WriteBatch batch;  // meta in a batch, with a job
  batch.meta = {{"other", "in-batch"}};
  JobRecord job = MakeJob("with-meta");
  job.id = 1;
  batch.jobs = {job};
  ASSERT_TRUE(store_->Commit(batch).ok());
  EXPECT_EQ(*store_->GetMeta("other"), std::optional<std::string>("in-batch"));
}

TEST_P(StoreConformanceTest, ConcurrentCommitsAndReadsAllLand) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        JobRecord job = MakeJob("t" + std::to_string(t));
        job.id = 1 + t * kPerThread + i;  // distinct ids, as one writer would choose them
        WriteBatch batch;
        batch.jobs = {job};
        if (!store_->Commit(batch).ok()) failures++;
        if (!store_->GetJob(job.id).ok()) failures++;  // read your own commit at once
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Ids({.limit = 10000}).size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*store_->MaxJobId(), kThreads * kPerThread);
}

}  // namespace
}  // namespace fastgpu::store
