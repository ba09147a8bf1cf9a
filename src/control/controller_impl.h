#pragma once
// ControllerImpl: the Controller (see controller.h) over a Store, a core::ClusterState and a
// core::Scheduler. Private to src/control; others use Controller::Open().
//
// One mutex guards everything below it. Every change is committed to the store before the
// in-memory state (ClusterState, the active-job cache, node entries) follows it, so a failed
// commit leaves memory as it was. Callbacks (long polls, log follows) are collected in a
// Deferred while the mutex is held and run after it is released.
//
// Split over controller_impl.cc (open, recovery, auth, scheduling), controller_jobs.cc (user
// calls), controller_agents.cc (agent calls, ticks), controller_telemetry.cc (GPU telemetry,
// device health) and controller_views.cc (nodes, pool).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/rng.h"
#include "control/controller.h"
#include "control/deferred.h"
#include "control/log_store.h"
#include "core/scheduler.h"
#include "core/state.h"

namespace fastgpu::control {

class ControllerImpl final : public Controller {
 public:
  // `store` and `clock` must outlive the controller. Call Init() once before anything else.
  ControllerImpl(const ControllerOptions& options, store::Store& store, const Clock& clock,
                 std::unique_ptr<core::Scheduler> scheduler, std::unique_ptr<LogStore> logs);
  // Creates the first secrets when missing and recovers nodes and jobs from the store.
  Status Init();

  Secrets FirstStartSecrets() const override;
  Status SetJoinToken(const std::string& token) override;
  Result<Caller> Authenticate(std::string_view bearer_key) override;
  Status AuthenticateAgent(std::string_view bearer_token) override;

  Result<NewKey> CreateKey(const Caller& caller, KeyRequest request) override;
  Result<std::vector<store::ApiKeyRecord>> ListKeys(const Caller& caller,
                                                    const std::string& tenant) override;
  Result<store::ApiKeyRecord> RevokeKey(const Caller& caller, const std::string& prefix) override;
  Result<std::vector<TenantView>> ListTenants(const Caller& caller) override;
  Result<TenantView> GetTenant(const Caller& caller, const std::string& name) override;
  Result<TenantView> PutTenant(const Caller& caller, store::TenantRecord tenant) override;
  Status RecordAudit(store::AuditRecord record) override;
  Result<std::vector<store::AuditRecord>> ListAudit(const Caller& caller,
                                                    store::AuditFilter filter) override;

  Result<JobView> Submit(const Caller& caller, core::JobSpec spec) override;
  Result<JobPage> ListJobs(const Caller& caller, store::JobFilter filter) override;
  Result<JobView> GetJob(const Caller& caller, core::JobId id) override;
  Result<JobView> Cancel(const Caller& caller, core::JobId id) override;
  Result<std::string> ReadLog(const Caller& caller, core::JobId id, LogStream stream,
                              int64_t offset, int64_t max_bytes, bool* job_ended) override;
  Status FollowLog(const Caller& caller, core::JobId id, LogStream stream, int64_t offset,
                   LogSink sink) override;

  std::vector<NodeView> ListNodes() override;
  PoolView Pool() override;
  PoolView Pool(const Caller& caller) override;

  Status RegisterNode(core::NodeRecord node) override;
  Status SetNodeStatus(const std::string& node, const NodeStatus& status) override;
  Result<std::vector<AttemptKey>> Report(const std::string& node,
                                         const std::vector<AttemptReport>& attempts) override;
  Status ReportTelemetry(const std::string& node, core::NodeTelemetry telemetry) override;
  Result<int64_t> AppendLog(const std::string& node, core::JobId job, int32_t attempt,
                            LogStream stream, int64_t offset, std::string_view data,
                            int64_t* size_out) override;
  void WatchDesired(const std::string& node, int64_t version, int64_t wait_ms,
                    DesiredCallback done) override;
  void Tick() override;
  void Shutdown() override;

 private:
  struct Waiter {
    int64_t deadline_ms = 0;
    DesiredCallback done;
  };
  struct NodeEntry {
    core::NodeRecord record;  // last_seen_ms kept current in memory only
    bool ready = true;
    std::optional<NodeStatus> status;  // as the agent last reported it
    int64_t version = 0;          // desired-set version; bumped on every change
    std::set<core::JobId> jobs;   // jobs bound here (scheduled/running, cancelled or not)
    std::vector<Waiter> waiters;  // parked long polls
    core::NodeTelemetry telemetry;  // the last one reported; memory only
  };

  // --- helpers; all need mu_ held ---
  // Whether the node's agent says it is healthy (true until it says anything).
  static bool Healthy(const NodeEntry& entry);
  Status EnsureSecretsLocked();
  Status RecoverLocked();
  // Runs the scheduler, commits the placements (and infeasible failures) in one UpdateJobs
  // call, applies them, wakes the nodes that got jobs.
  void ScheduleLocked(Deferred& post);
  // Applies committed decisions: binds placed jobs, marks victims preempting (which drops
  // them from their node's desired set), releases failed jobs; wakes the nodes concerned.
  void ApplyDecisionsLocked(std::vector<core::JobRecord> updates, int64_t now_ms, Deferred& post);
  // Binds a committed scheduled/running record in ClusterState and its node entry (and marks
  // it preempting when its record says so). now_ms is its bind time when it never started.
  Status BindLocked(const core::JobRecord& rec, int64_t now_ms);
  // A preempted job whose attempt has stopped (already committed as pending): leaves its node
  // and goes back to the queue in ClusterState.
  void RequeueLocked(core::JobId id, Deferred& post);
  // Forgets a job that became terminal (already committed): releases it in ClusterState,
  // drops it from its node (bumping the node's version) and ends its log followers.
  void ReleaseLocked(core::JobId id, Deferred& post);
  // Bumps the node's desired version and answers its parked long polls.
  void BumpLocked(NodeEntry& node, Deferred& post);
  DesiredSet DesiredLocked(const NodeEntry& node) const;
  // The job from the active cache or the store; NotFound (field "id") when it does not exist
  // or the caller may not see it.
  Result<JobView> FindVisibleLocked(const Caller& caller, core::JobId id);
  Result<JobView> ViewLocked(core::JobId id);
  // InvalidArgument when `spec` passes the tenant's per-job limits (max GPU memory slice).
  Status CheckTenantLimitsLocked(const std::string& tenant, const core::JobSpec& spec) const;
  // The tenant's stored record, else its policy from the config file (or the default).
  TenantView TenantLocked(const std::string& name) const;
  // The config file's queue options with every stored tenant's quotas over them.
  core::QueueOptions QueueOptionsLocked() const;
  // A new Scheduler over QueueOptionsLocked() (quotas changed through the API).
  Status RebuildSchedulerLocked();
  // The GPU memory high-water mark of `job` in `node`'s last telemetry.
  std::optional<int64_t> PeakOf(const std::string& node, core::JobId job) const;

  const ControllerOptions options_;
  store::Store& store_;
  const Clock& clock_;
  std::unique_ptr<core::Scheduler> scheduler_;  // replaced under mu_ when quotas change
  const std::unique_ptr<LogStore> logs_;  // has its own mutex; never calls back into us

  mutable std::mutex mu_;
  // --- guarded by mu_ ---
  Rng rng_;
  core::ClusterState state_;
  std::map<core::JobId, JobView> active_;  // pending/scheduled/running, with pending reason
  std::map<std::string, NodeEntry> nodes_;
  int64_t version_base_ = 1;  // first version of a node; distinct across restarts
  std::map<std::string, store::TenantRecord> tenants_;  // stored tenants, by name
  std::string join_hash_;
  Secrets secrets_;
  bool schedule_retry_ = false;  // a commit failed: Tick() schedules again
  bool shutdown_ = false;
};

}  // namespace fastgpu::control
