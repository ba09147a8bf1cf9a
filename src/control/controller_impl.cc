// ControllerImpl: opening, recovery, secrets and authentication.
#include "control/controller_impl.h"
#include "control/job_outcome.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "control/auth.h"
#include "core/policy/placement_policy.h"

namespace fastgpu::control {
namespace {

constexpr uint64_t kRngSeed = 0x5eedf00d;
constexpr const char* kFirstTenant = "default";
constexpr const char* kFirstRole = "admin";

}  // namespace

Result<std::unique_ptr<Controller>> Controller::Open(const ControllerOptions& options,
                                                     store::Store& store, const Clock& clock) {
  if (options.data_dir.empty()) return InvalidArgument("data_dir must be set", "data_dir");
  if (options.node_grace_ms <= 0) {
    return InvalidArgument("node_grace_ms must be > 0", "node_grace_ms");
  }
  // A node must be able to miss a heartbeat without being lost.
  if (options.heartbeat_ms <= 0 || options.heartbeat_ms * 2 > options.node_grace_ms) {
    return InvalidArgument("heartbeat_ms must be > 0 and at most half of node_grace_ms (" +
                               std::to_string(options.node_grace_ms) + ")",
                           "heartbeat_ms");
  }
  FG_ASSIGN_OR_RETURN(std::unique_ptr<core::PlacementPolicy> policy,
                      core::MakePlacementPolicy(options.policy));
  FG_ASSIGN_OR_RETURN(std::unique_ptr<core::QueueSorter> sorter,
                      core::MakeQueueSorter(options.queue.sorter));
  FG_ASSIGN_OR_RETURN(std::unique_ptr<LogStore> logs, LogStore::Open(options.data_dir + "/logs"));
  auto scheduler =
      std::make_unique<core::Scheduler>(std::move(policy), std::move(sorter), options.queue);
  auto impl = std::make_unique<ControllerImpl>(options, store, clock, std::move(scheduler),
                                               std::move(logs));
  FG_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Controller>(std::move(impl));
}

ControllerImpl::ControllerImpl(const ControllerOptions& options, store::Store& store,
                               const Clock& clock, std::unique_ptr<core::Scheduler> scheduler,
                               std::unique_ptr<LogStore> logs)
    : options_(options),
      store_(store),
      clock_(clock),
      scheduler_(std::move(scheduler)),
      logs_(std::move(logs)),
      keys_(store),
      rng_(kRngSeed) {}

ControllerImpl::~ControllerImpl() {
  Shutdown();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  sched_cv_.notify_all();
  idle_cv_.notify_all();
  if (scheduler_thread_.joinable()) scheduler_thread_.join();
  if (committer_) committer_->Stop();
  if (options_.metrics != nullptr) options_.metrics->RemoveCollectors(this);
}

Status ControllerImpl::Init() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Versions start past any a previous run could have handed out, so an agent's old version
    // never matches by accident.
    version_base_ = std::max<int64_t>(clock_.Now().ms, 0) * 1000 + 1;
    FG_RETURN_IF_ERROR(EnsureSecretsLocked());
    FG_ASSIGN_OR_RETURN(std::vector<store::TenantRecord> tenants, store_.ListTenants());
    for (store::TenantRecord& t : tenants) tenants_[t.name] = std::move(t);
    if (!tenants_.empty()) FG_RETURN_IF_ERROR(RebuildSchedulerLocked());
    FG_ASSIGN_OR_RETURN(std::vector<store::ApiKeyRecord> keys, store_.ListApiKeys());
    for (store::ApiKeyRecord& k : keys) {
      if (!k.budget_kind.empty() && !k.revoked) key_budgets_[k.prefix] = std::move(k);
    }
    FG_RETURN_IF_ERROR(RecoverLocked());
  }
  // The writer applies a whole group of commits under one acquisition of mu_; what must run
  // without it (callbacks, wake-ups) collects in group_post_ and runs after.
  store::GroupCommitter::Options writer;
  writer.before_callbacks = [this] {
    mu_.lock();
    in_writer_callbacks_ = true;
  };
  writer.after_callbacks = [this] {
    in_writer_callbacks_ = false;
    {
      Deferred post;
      swap(post, group_post_);
      mu_.unlock();
    }  // post runs here, unlocked: the group's answers (acks the agent waits for) go first
    std::lock_guard<std::mutex> lock(mu_);
    AfterGroupLocked();  // then the scheduling pass the group called for
  };
  committer_ = std::make_unique<store::GroupCommitter>(store_, writer, options_.metrics);
  RegisterMetrics();
  scheduler_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "fg-scheduler");  // for top -H, perf, benchmarks
    SchedulerLoop();
  });
  {
    std::lock_guard<std::mutex> lock(mu_);
    MarkDirtyLocked();
  }
  Settle();
  return Status::Ok();
}

Status ControllerImpl::EnsureSecretsLocked() {
  FG_ASSIGN_OR_RETURN(std::optional<std::string> join_hash, store_.GetMeta(kJoinTokenMetaKey));
  if (!join_hash) {
    FG_ASSIGN_OR_RETURN(std::string token, MakeJoinToken());
    join_hash = Sha256Hex(token);
    FG_RETURN_IF_ERROR(store_.PutMeta(kJoinTokenMetaKey, *join_hash));
    secrets_.join_token = token;
  }
  join_hash_ = *join_hash;
  FG_ASSIGN_OR_RETURN(std::vector<store::ApiKeyRecord> keys, store_.ListApiKeys());
  if (keys.empty()) {
    FG_ASSIGN_OR_RETURN(NewApiKey admin, MakeApiKey(kFirstTenant, kFirstRole, clock_.Now().ms));
    admin.record.user = "admin";
    admin.record.label = "created at first start";
    FG_RETURN_IF_ERROR(store_.CreateApiKey(admin.record));
    secrets_.admin_key = admin.key;
  }
  return Status::Ok();
}

// Nodes come back ready with last seen = now: the grace period decides whether they are gone.
// Bound jobs bind again; jobs bound to nodes that no longer exist go back to the queue (or end,
// when a cancel was requested). Runs before the writer starts, so it commits directly.
Status ControllerImpl::RecoverLocked() {
  const int64_t now = clock_.Now().ms;
  FG_ASSIGN_OR_RETURN(core::JobId max_id, store_.MaxJobId());
  FG_ASSIGN_OR_RETURN(std::vector<store::PriceRecord> prices, store_.ListPrices());
  prices_ = std::make_shared<const billing::PriceTable>(std::move(prices));
  next_id_ = max_id + 1;
  FG_ASSIGN_OR_RETURN(std::vector<core::NodeRecord> nodes, store_.ListNodes());
  for (core::NodeRecord& rec : nodes) {
    FG_RETURN_IF_ERROR(state_.Apply(core::NodeUpserted{rec.spec}));
    NodeEntry& entry = nodes_[rec.spec.name];
    rec.last_seen_ms = now;
    entry.record = std::move(rec);
    entry.version = version_base_;
    SyncReadinessLocked(entry);
  }
  // By id, which is submit order. ClusterState binds only queued jobs, so every job is queued
  // first and the bound ones are bound from the queue.
  FG_ASSIGN_OR_RETURN(std::vector<core::JobRecord> jobs, store_.ListActiveJobs());
  store::WriteBatch changed;
  for (core::JobRecord& rec : jobs) {
    FG_RETURN_IF_ERROR(state_.Apply(core::JobQueued{ToQueued(rec)}));
    const core::JobId id = rec.id;
    if (rec.state != core::JobState::kPending) {
      if (rec.placement && BindLocked(rec, now).ok()) {
        active_[id] = JobView{std::move(rec), 0};
        continue;
      }
      spdlog::warn("job {}: its node {} is gone; {}", id,
                   rec.placement ? rec.placement->node : "(none)",
                   rec.cancel_requested ? "cancelled" : "requeued");
      // Its node's record is gone from the store, so no report will ever close its attempt:
      // the open usage record is closed now (the one case where metering cannot use an
      // agent's report).
      if (rec.state == core::JobState::kRunning) {
        FG_ASSIGN_OR_RETURN(std::vector<store::UsageRecord> open,
                            store_.ListUsage(store::UsageFilter{"", 0, INT64_MAX, {id}}));
        for (store::UsageRecord& u : open) {
          if (u.attempt != rec.attempt || u.end_ms != 0) continue;
          u.end_ms = std::max(now, u.start_ms);
          changed.usage.push_back(std::move(u));
        }
      }
      if (rec.cancel_requested) {
        rec.state = core::JobState::kCancelled;
        rec.reason = "cancelled by user";
        rec.end_ms = now;
        FG_RETURN_IF_ERROR(state_.Apply(core::JobReleased{id}));
        NoteEndedLocked(id, rec);  // its dependents are recovered from this end, not the store's
        changed.jobs.push_back(std::move(rec));
        continue;
      }
      rec.state = core::JobState::kPending;
      rec.preempting_for = 0;
      rec.placement.reset();
      rec.start_ms = 0;
      rec.reason.clear();
      changed.jobs.push_back(rec);
    }
    queued_since_ms_[id] = now;
    active_[id] = JobView{std::move(rec), 0};
  }
  FG_RETURN_IF_ERROR(RecoverDependenciesLocked(changed));
  FG_RETURN_IF_ERROR(store_.Commit(changed));
  FG_ASSIGN_OR_RETURN(auto counts, store_.CountJobsByState());
  for (const auto& [state, n] : counts) {
    if (core::IsTerminal(state)) ended_counts_[state] = n;
  }
  FG_ASSIGN_OR_RETURN(std::vector<store::IdempotencyRecord> keys,
                      store_.ListIdempotencyKeys(now - options_.idempotency_ttl_ms));
  for (store::IdempotencyRecord& r : keys) {
    idempotency_.Insert(r.tenant, r.key,
                        IdempotencyIndex::Entry{std::move(r.request_hash), r.job, r.created_ms,
                                                /*committed=*/true, {}});
  }
  return Status::Ok();
}

Controller::Secrets ControllerImpl::FirstStartSecrets() const {
  std::lock_guard<std::mutex> lock(mu_);
  return secrets_;
}

Status ControllerImpl::SetJoinToken(const std::string& token) {
  if (token.size() < 16) {
    return InvalidArgument("join token must be at least 16 characters", "join_token");
  }
  for (char c : token) {
    if (c <= ' ' || c == 0x7f) {
      return InvalidArgument("join token must be printable, without spaces", "join_token");
    }
  }
  const std::string hash = Sha256Hex(token);
  FG_RETURN_IF_ERROR(store_.PutMeta(kJoinTokenMetaKey, hash));
  std::lock_guard<std::mutex> lock(mu_);
  join_hash_ = hash;
  // A token created by this start was replaced: what the caller writes out must still work.
  if (!secrets_.join_token.empty()) secrets_.join_token = token;
  return Status::Ok();
}

Result<Caller> ControllerImpl::Authenticate(std::string_view bearer_key) {
  FG_ASSIGN_OR_RETURN(store::ApiKeyRecord rec, keys_.Verify(bearer_key, clock_.Now().ms));
  return Caller{rec.tenant, rec.role, rec.prefix, rec.user};
}

Status ControllerImpl::AuthenticateAgent(std::string_view bearer_token) {
  if (bearer_token.empty()) return Unauthenticated("missing join token");
  const std::string hash = Sha256Hex(bearer_token);
  std::lock_guard<std::mutex> lock(mu_);
  if (!ConstantTimeEquals(hash, join_hash_)) return Unauthenticated("invalid join token");
  return Status::Ok();
}

}  // namespace fastgpu::control
