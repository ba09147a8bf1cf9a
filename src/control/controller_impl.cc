#include "control/controller_impl.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "control/auth.h"
#include "control/roles.h"
#include "core/policy/placement_policy.h"

namespace fastgpu::control {
namespace {

constexpr uint64_t kRngSeed = 0x5eedf00d;
constexpr const char* kFirstTenant = "default";
constexpr const char* kFirstRole = "admin";

core::QueuedJob ToQueued(const core::JobRecord& rec) {
  core::QueuedJob q;
  q.id = rec.id;
  q.tenant = rec.tenant;
  q.priority = rec.spec.priority;
  q.submit_ms = rec.submit_ms;
  q.request = rec.spec.resources;
  q.time_limit_s = rec.spec.time_limit_s;
  return q;
}

}  // namespace

Result<std::unique_ptr<Controller>> Controller::Open(const ControllerOptions& options,
                                                     store::Store& store, const Clock& clock) {
  if (options.data_dir.empty()) return InvalidArgument("data_dir must be set", "data_dir");
  if (options.node_grace_ms <= 0) {
    return InvalidArgument("node_grace_ms must be > 0", "node_grace_ms");
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
      rng_(kRngSeed) {}

Status ControllerImpl::Init() {
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  // Versions start past any a previous run could have handed out, so an agent's old version
  // never matches by accident.
  version_base_ = std::max<int64_t>(clock_.Now().ms, 0) * 1000 + 1;
  FG_RETURN_IF_ERROR(EnsureSecretsLocked());
  FG_ASSIGN_OR_RETURN(std::vector<store::TenantRecord> tenants, store_.ListTenants());
  for (store::TenantRecord& t : tenants) tenants_[t.name] = std::move(t);
  if (!tenants_.empty()) FG_RETURN_IF_ERROR(RebuildSchedulerLocked());
  FG_RETURN_IF_ERROR(RecoverLocked());
  ScheduleLocked(post);
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
// when a cancel was requested).
Status ControllerImpl::RecoverLocked() {
  const int64_t now = clock_.Now().ms;
  FG_ASSIGN_OR_RETURN(std::vector<core::NodeRecord> nodes, store_.ListNodes());
  for (core::NodeRecord& rec : nodes) {
    FG_RETURN_IF_ERROR(state_.Apply(core::NodeUpserted{rec.spec}));
    NodeEntry& entry = nodes_[rec.spec.name];
    rec.last_seen_ms = now;
    entry.record = std::move(rec);
    entry.version = version_base_;
  }
  // By id, which is submit order. ClusterState binds only queued jobs, so every job is queued
  // first and the bound ones are bound from the queue.
  FG_ASSIGN_OR_RETURN(std::vector<core::JobRecord> jobs, store_.ListActiveJobs());
  std::vector<core::JobRecord> changed;
  for (core::JobRecord& rec : jobs) {
    FG_RETURN_IF_ERROR(state_.Apply(core::JobQueued{ToQueued(rec)}));
    const core::JobId id = rec.id;
    if (rec.state != core::JobState::kPending) {
      if (rec.placement && BindLocked(rec, now).ok()) continue;
      spdlog::warn("job {}: its node {} is gone; {}", id,
                   rec.placement ? rec.placement->node : "(none)",
                   rec.cancel_requested ? "cancelled" : "requeued");
      if (rec.cancel_requested) {
        rec.state = core::JobState::kCancelled;
        rec.reason = "cancelled by user";
        rec.end_ms = now;
        FG_RETURN_IF_ERROR(state_.Apply(core::JobReleased{id}));
        changed.push_back(std::move(rec));
        continue;
      }
      rec.state = core::JobState::kPending;
      rec.preempting_for = 0;
      rec.placement.reset();
      rec.start_ms = 0;
      rec.reason.clear();
      changed.push_back(rec);
    }
    active_[id] = JobView{std::move(rec), 0};
  }
  if (!changed.empty()) FG_RETURN_IF_ERROR(store_.UpdateJobs(changed));
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
  std::lock_guard<std::mutex> lock(mu_);
  FG_RETURN_IF_ERROR(store_.PutMeta(kJoinTokenMetaKey, hash));
  join_hash_ = hash;
  // A token created by this start was replaced: what the caller writes out must still work.
  if (!secrets_.join_token.empty()) secrets_.join_token = token;
  return Status::Ok();
}

Result<Caller> ControllerImpl::Authenticate(std::string_view bearer_key) {
  FG_ASSIGN_OR_RETURN(store::ApiKeyRecord rec,
                      VerifyApiKey(store_, bearer_key, clock_.Now().ms));
  return Caller{rec.tenant, rec.role, rec.prefix, rec.user};
}

Status ControllerImpl::AuthenticateAgent(std::string_view bearer_token) {
  if (bearer_token.empty()) return Unauthenticated("missing join token");
  const std::string hash = Sha256Hex(bearer_token);
  std::lock_guard<std::mutex> lock(mu_);
  if (!ConstantTimeEquals(hash, join_hash_)) return Unauthenticated("invalid join token");
  return Status::Ok();
}

void ControllerImpl::ScheduleLocked(Deferred& post) {
  schedule_retry_ = false;
  if (state_.queued().empty()) return;
  const Instant now = clock_.Now();
  std::vector<core::Decision> decisions = scheduler_->Plan(state_, now, rng_);
  std::vector<core::JobRecord> updates;
  for (core::Decision& d : decisions) {
    auto it = active_.find(d.id);
    if (it == active_.end()) continue;  // queued in state but unknown here: cannot happen
    JobView& view = it->second;
    if (d.verdict == core::Verdict::kWait) {
      view.record.reason = std::move(d.reason);
      view.queue_position = d.queue_position;
      continue;
    }
    core::JobRecord rec = view.record;
    if (d.verdict == core::Verdict::kPlaced) {
      rec.state = core::JobState::kScheduled;
      rec.attempt += 1;
      rec.placement = std::move(d.placement);
      rec.reason.clear();
    } else if (d.verdict == core::Verdict::kPreempt) {
      rec.preempting_for = d.for_job;
      rec.reason = std::move(d.reason);
    } else {
      rec.state = core::JobState::kFailed;
      rec.reason = std::move(d.reason);
      rec.end_ms = now.ms;
    }
    updates.push_back(std::move(rec));
  }
  if (updates.empty()) return;
  if (Status st = store_.UpdateJobs(updates); !st.ok()) {
    spdlog::warn("scheduling: cannot commit {} decisions: {}", updates.size(), st.ToString());
    schedule_retry_ = true;
    return;
  }
  ApplyDecisionsLocked(std::move(updates), now.ms, post);
}

void ControllerImpl::ApplyDecisionsLocked(std::vector<core::JobRecord> updates, int64_t now_ms,
                                          Deferred& post) {
  std::set<std::string> woken;
  for (core::JobRecord& rec : updates) {
    const core::JobId id = rec.id;
    if (rec.state == core::JobState::kFailed) {
      active_[id].record = std::move(rec);
      ReleaseLocked(id, post);
      continue;
    }
    woken.insert(rec.placement->node);
    if (rec.preempting_for != 0) {  // a victim: out of its node's desired set, so it stops
      spdlog::info("job {}: preempted for job {}", id, rec.preempting_for);
      if (Status st = state_.Apply(core::JobPreempting{id, rec.preempting_for}); !st.ok()) {
        spdlog::error("job {}: preemption not applied: {}", id, st.ToString());
      }
      active_[id].record = std::move(rec);
      continue;
    }
    // Leave the queue first: JobBound moves a queued job to bound.
    if (Status st = BindLocked(rec, now_ms); !st.ok()) {
      spdlog::error("scheduling: job {} committed but not bound: {}", id, st.ToString());
    }
    active_[id] = JobView{std::move(rec), 0};
  }
  for (const std::string& name : woken) {
    auto node = nodes_.find(name);
    if (node != nodes_.end()) BumpLocked(node->second, post);
  }
}

Status ControllerImpl::BindLocked(const core::JobRecord& rec, int64_t now_ms) {
  auto node = nodes_.find(rec.placement->node);
  if (node == nodes_.end()) return NotFound("node " + rec.placement->node + " is not registered");
  const int64_t bound_ms = rec.start_ms > 0 ? rec.start_ms : now_ms;
  FG_RETURN_IF_ERROR(state_.Apply(core::JobBound{rec.id, *rec.placement, bound_ms}));
  if (rec.preempting_for != 0) {
    FG_RETURN_IF_ERROR(state_.Apply(core::JobPreempting{rec.id, rec.preempting_for}));
  }
  node->second.jobs.insert(rec.id);
  active_[rec.id] = JobView{rec, 0};
  return Status::Ok();
}

void ControllerImpl::ReleaseLocked(core::JobId id, Deferred& post) {
  if (Status st = state_.Apply(core::JobReleased{id}); !st.ok()) {
    spdlog::error("job {}: release failed: {}", id, st.ToString());
  }
  auto it = active_.find(id);
  if (it != active_.end()) {
    const std::optional<core::Placement>& placement = it->second.record.placement;
    if (placement) {
      auto node = nodes_.find(placement->node);
      if (node != nodes_.end() && node->second.jobs.erase(id) > 0) {
        BumpLocked(node->second, post);
      }
    }
    active_.erase(it);
  }
  post.AddAll(logs_->MarkEnded(id));
}

void ControllerImpl::RequeueLocked(core::JobId id, Deferred& post) {
  auto bound = state_.bound().find(id);
  const std::string node = bound != state_.bound().end() ? bound->second.node : std::string();
  if (Status st = state_.Apply(core::JobReleased{id}); !st.ok()) {
    spdlog::error("job {}: release for requeue failed: {}", id, st.ToString());
  }
  auto entry = nodes_.find(node);
  if (entry != nodes_.end() && entry->second.jobs.erase(id) > 0) BumpLocked(entry->second, post);
  JobView& view = active_.at(id);
  view.queue_position = 0;
  if (Status st = state_.Apply(core::JobQueued{ToQueued(view.record)}); !st.ok()) {
    spdlog::error("job {}: requeue failed: {}", id, st.ToString());
  }
  spdlog::info("job {}: preempted attempt stopped; back in the queue", id);
}

void ControllerImpl::BumpLocked(NodeEntry& node, Deferred& post) {
  node.version += 1;
  if (node.waiters.empty()) return;
  DesiredSet set = DesiredLocked(node);
  for (Waiter& w : node.waiters) {
    post.Add([done = std::move(w.done), set] { done(set); });
  }
  node.waiters.clear();
}

DesiredSet ControllerImpl::DesiredLocked(const NodeEntry& node) const {
  DesiredSet set;
  set.version = node.version;
  for (core::JobId id : node.jobs) {
    auto it = active_.find(id);
    if (it == active_.end()) continue;
    const core::JobRecord& rec = it->second.record;
    const bool live =
        rec.state == core::JobState::kScheduled || rec.state == core::JobState::kRunning;
    if (!live || rec.cancel_requested || rec.preempting_for != 0 || !rec.placement) continue;
    set.attempts.push_back(
        DesiredAttempt{rec.id, rec.attempt, rec.tenant, rec.spec, *rec.placement});
  }
  return set;
}

Result<JobView> ControllerImpl::ViewLocked(core::JobId id) {
  auto it = active_.find(id);
  if (it != active_.end()) return it->second;
  Result<core::JobRecord> rec = store_.GetJob(id);
  if (!rec.ok()) {
    if (rec.error().code() == StatusCode::kNotFound) {
      return NotFound("job " + std::to_string(id) + " not found", "id");
    }
    return rec.error();
  }
  return JobView{std::move(*rec), 0};
}

Result<JobView> ControllerImpl::FindVisibleLocked(const Caller& caller, core::JobId id) {
  FG_ASSIGN_OR_RETURN(JobView view, ViewLocked(id));
  if (!CanSeeJob(caller, view.record.tenant, view.record.key_prefix)) {
    return NotFound("job " + std::to_string(id) + " not found", "id");
  }
  return view;
}

}  // namespace fastgpu::control
