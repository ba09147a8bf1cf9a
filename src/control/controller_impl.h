#pragma once
// ControllerImpl: the Controller (see controller.h) over a Store, a core::ClusterState and a
// core::Scheduler. Private to src/control; others use Controller::Open().
//
// Memory follows the store. Every change is computed under mu_ from the newest version of the
// records it touches (committed, or still in flight: in_flight_), handed to the one writer
// (store::GroupCommitter) as a Write, and applied to the in-memory state (ClusterState, the
// active-job cache, node entries) by OnCommitted() once the store has committed it. Only then
// do its callbacks run, agents see new desired sets, and readers see the new records. A failed
// commit fails its epoch (see group_commit.h): what was in flight is forgotten and memory is
// left as the store has it.
//
// ApplyCommittedLocked() derives everything a committed job change means (queue, binding, node
// desired sets, log followers, events) from the record before and after, so call sites only
// compute new records.
//
// Threads: callers (HTTP), the store writer (OnCommitted), the scheduler (SchedulerLoop) and the
// ticker (Tick). Callbacks are collected in a Deferred under mu_ and run after it is released.
//
// Split over controller_impl.cc (open, recovery, auth), controller_write.cc (writes and their
// effects), controller_schedule.cc (scheduler thread), controller_jobs.cc (user calls),
// controller_agents.cc (agent calls, ticks, node loss), controller_telemetry.cc (GPU telemetry,
// device health), controller_nodes.cc (node views and actions), controller_tenants.cc (keys, tenants, audit), controller_usage.cc (metering, prices,
// job costs), controller_budget.cc (budgets) and controller_metrics.cc (the
// /metrics collector).

#include <condition_variable>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/rng.h"
#include "control/controller.h"
#include "control/deferred.h"
#include "control/gang_tracker.h"
#include "control/idempotency.h"
#include "control/key_cache.h"
#include "control/log_store.h"
#include "core/queue/dependency_graph.h"
#include "core/scheduler.h"
#include "core/state.h"
#include "store/group_commit.h"

namespace fastgpu::control {

// The gauges of one node's status for /metrics: fastgpu_node_healthy{node},
// fastgpu_node_isolates_tenants{node} and fastgpu_node_isolation{node,boundary} (1: holds).
void CollectNodeStatus(const std::string& node, const NodeStatus& status, metrics::Scrape& out);

// A tenant's or a key's budget: InvalidArgument naming the field (budget.kind, budget.limit,
// budget.warn_percent).
Status ValidateBudget(const KeyBudget& budget);

class ControllerImpl final : public Controller {
 public:
  // A job a dependency stands for (the job, or one task of an array), and how it stood when
  // read: state kRunning for "not ended".
  struct DependencyMember {
    core::JobId id = 0;
    core::JobState state = core::JobState::kPending;
    std::string reason;
  };
  struct DependencyTarget {
    Dependency dep;
    std::vector<DependencyMember> members;
  };

  // `store` and `clock` must outlive the controller. Call Init() once before anything else.
  ControllerImpl(const ControllerOptions& options, store::Store& store, const Clock& clock,
                 std::unique_ptr<core::Scheduler> scheduler, std::unique_ptr<LogStore> logs);
  ~ControllerImpl() override;
  // Creates the first secrets when missing, recovers nodes and jobs from the store, starts the
  // threads and runs a first scheduling pass.
  Status Init();

  using Controller::Cancel;
  using Controller::RegisterNode;
  using Controller::Report;
  using Controller::SetNodeAction;
  using Controller::Submit;

  Secrets FirstStartSecrets() const override;
  Status SetJoinToken(const std::string& token) override;
  Result<Caller> Authenticate(std::string_view bearer_key) override;
  Status AuthenticateAgent(std::string_view bearer_token) override;

  Result<NewKey> CreateKey(const Caller& caller, KeyRequest request) override;
  Result<std::vector<store::ApiKeyRecord>> ListKeys(const Caller& caller,
                                                    const std::string& tenant) override;
  Result<store::ApiKeyRecord> RevokeKey(const Caller& caller, const std::string& prefix) override;
  Result<store::ApiKeyRecord> SetKeyBudget(const Caller& caller, const std::string& prefix,
                                           KeyBudget budget) override;
  Result<int64_t> KeyBudgetUsed(const Caller& caller, const std::string& prefix) override;
  Result<std::vector<TenantView>> ListTenants(const Caller& caller) override;
  Result<TenantView> GetTenant(const Caller& caller, const std::string& name) override;
  Result<TenantView> PutTenant(const Caller& caller, store::TenantRecord tenant) override;
  Status RecordAudit(store::AuditRecord record) override;
  Result<std::vector<store::BillingEvent>> ListBillingEvents(const Caller& caller,
                                                             const std::string& tenant) override;
  Result<UsageReport> Usage(const Caller& caller, UsageQuery query) override;
  Result<std::vector<store::PriceRecord>> ListPrices(const Caller& caller) override;
  Status PutPrice(const Caller& caller, store::PriceRecord price) override;
  std::string Currency() const override { return options_.currency; }
  int64_t NowMs() const override { return clock_.Now().ms; }
  Result<std::vector<store::AuditRecord>> ListAudit(const Caller& caller,
                                                    store::AuditFilter filter) override;

  void Submit(const Caller& caller, core::JobSpec spec, const SubmitOptions& options,
              JobDone done) override;
  void Cancel(const Caller& caller, core::JobId id, JobDone done) override;
  Result<JobPage> ListJobs(const Caller& caller, store::JobFilter filter) override;
  Result<JobView> GetJob(const Caller& caller, core::JobId id) override;
  Result<std::vector<store::JobEvent>> JobEvents(const Caller& caller, core::JobId id) override;
  Result<std::string> ReadLog(const Caller& caller, core::JobId id, LogStream stream,
                              int64_t offset, int64_t max_bytes, bool* job_ended) override;
  Status FollowLog(const Caller& caller, core::JobId id, LogStream stream, int64_t offset,
                   LogSink sink) override;

  std::vector<NodeView> ListNodes() override;
  Result<NodeView> GetNode(const std::string& name) override;
  PoolView Pool() override;
  PoolView Pool(const Caller& caller) override;
  void SetNodeAction(const Caller& caller, const std::string& name, NodeAction action,
                     NodeDone done) override;

  void RegisterNode(core::NodeRecord node, std::optional<NodeStatus> status,
                    StatusDone done) override;
  void Report(const std::string& node, std::vector<AttemptReport> attempts,
              ReportDone done) override;
  Status SetNodeStatus(const std::string& node, const NodeStatus& status) override;
  Status ReportTelemetry(const std::string& node, core::NodeTelemetry telemetry) override;
  Result<int64_t> AppendLog(const std::string& node, core::JobId job, int32_t attempt,
                            LogStream stream, int64_t offset, std::string_view data,
                            int64_t* size_out) override;
  void WatchDesired(const std::string& node, int64_t version, int64_t wait_ms,
                    DesiredCallback done) override;
  void Tick() override;
  void Shutdown() override;
  void Settle() override;

 private:
  struct Waiter {
    int64_t deadline_ms = 0;
    DesiredCallback done;
  };
  struct NodeEntry {
    core::NodeRecord record;  // committed; last_seen_ms kept current in memory only
    bool ready = true;
    std::optional<NodeStatus> status;  // as the agent last reported it
    int64_t version = 0;          // desired-set version; bumped on every change
    std::set<core::JobId> jobs;   // jobs bound here (scheduled/running, cancelled or not)
    std::vector<Waiter> waiters;  // parked long polls
    core::NodeTelemetry telemetry;  // the last one reported; memory only
  };
  // One change handed to the writer.
  struct Write {
    std::vector<core::JobRecord> jobs;    // new versions of whole records
    std::vector<core::NodeRecord> nodes;  // new versions of node records
    store::WriteBatch extra;              // idempotency keys, meta, expiry
    // When the agent saw an attempt's processes end (report, node loss): where the metering
    // of an attempt that is not ended by the record itself (preempted, lost) stops; else now.
    std::map<core::JobId, int64_t> stopped_ms;
    std::function<void(Status)> done;     // after memory followed (or failed); mu_ not held
    // Instead of done: the view of job `view_of` as committed (or the error); mu_ not held.
    core::JobId view_of = 0;
    JobDone view_done;
    bool from_scheduler = false;          // the decisions of one scheduling pass, which
    uint64_t covers_generation = 0;       // planned with every change up to this generation
    bool nodes_alive = false;             // the nodes just registered: they are ready
    std::optional<NodeStatus> node_status;  // of the node just registered, as it said
  };
  struct InFlight {
    core::JobRecord record;
    uint64_t seq = 0;  // the Write that carries it
  };

  // Whether the node's agent says it is healthy (true until it says anything).
  static bool Healthy(const NodeEntry& entry);
  // Sets the agent's word on its node; logs isolation warnings and health changes and wakes the
  // scheduler when the node can take work again. mu_ held.
  void ApplyNodeStatusLocked(const std::string& node, NodeEntry& entry, const NodeStatus& status);
  // --- writes (controller_write.cc); all need mu_ held ---
  // The newest version of a job: in flight, else committed (active), else nullptr (terminal or
  // unknown: the store has it).
  const core::JobRecord* CurrentLocked(core::JobId id) const;
  const core::NodeRecord* CurrentNodeLocked(const std::string& name) const;
  void WriteLocked(Write write);
  // On the writer thread with mu_ held (see the writer's hooks in Init()); what must run without
  // the lock goes to group_post_.
  void OnCommitted(uint64_t seq, uint64_t epoch, Write write, Status status);
  // What a committed job change means for memory: see the class comment.
  void ApplyCommittedLocked(core::JobRecord rec, Deferred& post);
  void ApplyNodeLocked(core::NodeRecord rec, bool alive, Deferred& post);
  // Puts a bound record into ClusterState and its node entry (it must be queued there).
  Status BindLocked(const core::JobRecord& rec, int64_t now_ms);
  // Takes a job out of ClusterState and off its node (the caller bumps the node).
  void UnbindLocked(const core::JobRecord& old);
  // ClusterState's readiness of a node: heartbeats arrive and it is not cordoned.
  void SyncReadinessLocked(NodeEntry& node);
  // Bumps the node's desired version and answers its parked long polls.
  void BumpLocked(NodeEntry& node, Deferred& post);
  // Bumps the node of every rank of `placement` (one for a single-node job).
  void BumpRankNodesLocked(const core::Placement& placement, Deferred& post);
  // MASTER_ADDR for a multi-node job whose rank 0 runs on `node`: its kNodeAddressLabel, else
  // its name.
  std::string NodeAddressLocked(const std::string& node) const;
  // One rank's report of a multi-node job (controller_gangs.cc): started, or exited. The job
  // ends when every rank has exited (then *ack is set); the first rank that fails stops the
  // others (they leave the desired sets).
  void GangReportLocked(const std::string& node, const AttemptReport& r, int64_t now_ms,
                        core::JobRecord& rec, bool* ack, Deferred& post);
  // Ranks of stopping multi-node jobs that never started on `entry`'s node (absent from its
  // full report) count as exited.
  void GangAbsentLocked(const NodeEntry& entry, const std::set<core::JobId>& reported,
                        int64_t now_ms, std::map<core::JobId, core::JobRecord>& changed);
  DesiredSet DesiredLocked(const NodeEntry& node) const;
  // Calls for a scheduling pass. `arrival`: the change only added a job to the queue (a submit,
  // a requeue), which a pass that placed nothing may wait longer for (controller_schedule.cc).
  void MarkDirtyLocked(bool arrival = false);

  // --- dependencies (controller_deps.cc) ---
  // What `dep` stands for, `target` being the job it names: its members (store reads for an
  // array's tasks). No mu_ held.
  Result<DependencyTarget> ReadTarget(const Dependency& dep, const core::JobRecord& target);
  // Submit's checks that need no lock (store reads): each dependency names a job the caller
  // may see, submitted before, and the `tasks` waiting jobs (an array's) times the jobs they
  // wait for stay within kMaxDependencyWaits. NotFound / InvalidArgument, field "dependencies".
  Result<std::vector<DependencyTarget>> ReadDependencies(const Caller& caller,
                                                         const std::vector<Dependency>& deps,
                                                         size_t tasks);
  // Brings the members' states up to date from memory and refuses (InvalidArgument) an ok
  // dependency that can never be met. mu_ held.
  Status CheckDependenciesLocked(std::vector<DependencyTarget>& targets) const;
  // Job `id` (not committed yet, or recovered) waits for `deps`, resolved as `targets`.
  void AddWaiterLocked(core::JobId id, const std::vector<Dependency>& deps,
                       const std::vector<DependencyTarget>& targets);
  // ToQueued(rec) with its hold (an unmet dependency).
  core::QueuedJob QueuedLocked(const core::JobRecord& rec) const;
  // A committed job ended: tells the graph, lifts or updates the holds of its dependents, and
  // cancels those that can never run.
  void JobEndedLocked(const core::JobRecord& rec);
  // Remembers a committed (or, in recovery, about to be committed) end for the dependency
  // checks that read a job before its end reached them (recent_ends_).
  void NoteEndedLocked(core::JobId id, const core::JobRecord& rec);
  // Updates a waiting job's hold, reason and waiting_for from the graph.
  void RefreshWaiterLocked(core::JobId id);
  void CancelDoomedLocked(const std::vector<core::DependencyGraph::Change>& doomed);
  // From Tick(): cancels again the doomed jobs whose cancel was lost with a failed commit.
  void RetryDoomedLocked();
  // From RecoverLocked(): rebuilds the graph from the recovered pending jobs; those that can
  // never run any more are cancelled into `changed`.
  Status RecoverDependenciesLocked(store::WriteBatch& changed);
  // What `deps` stand for during recovery: from memory, else the store (ends by this
  // recovery included).
  Result<std::vector<DependencyTarget>> RecoveredTargetsLocked(const std::vector<Dependency>& deps);

  // --- scheduling (controller_schedule.cc) ---
  void SchedulerLoop();
  // On the writer thread after a group's callbacks and their answers, mu_ held: when they
  // called for a pass and passes are cheap, runs it right here (its decisions are the writer's
  // next group, with no wake-up of the scheduler thread in between); else wakes that thread.
  void AfterGroupLocked();
  // Plans once and hands the placements, preemptions and infeasible failures to the writer.
  void ScheduleLocked();
  // At submit, for a job that would be the only one queued: plans it alone and, when it is
  // placed, binds `rec` (state kScheduled, attempt 1) so that the submit's commit holds the
  // placement too, one commit instead of two before the agent hears of it; `write` (the
  // submit's) is then marked as a pass's decisions in flight. False (rec and write unchanged)
  // when other jobs wait, a pass's decisions are still being committed (their capacity is not
  // in state_ yet), or the job would not be placed at once.
  bool PlaceAtSubmitLocked(core::JobRecord& rec, Write& write);

  // --- recovery and views (controller_impl.cc, controller_jobs.cc) ---
  Status EnsureSecretsLocked();
  Status RecoverLocked();
  // The job from memory, else the store; NotFound (field "id") when it does not exist or the
  // caller may not see it. Takes mu_ itself; never holds it during the store read.
  Result<JobView> FindVisible(const Caller& caller, core::JobId id);
  // The active job's view; nullopt when not active.
  std::optional<JobView> ActiveViewLocked(core::JobId id) const;
  NodeView NodeViewLocked(const NodeEntry& entry) const;
  // --- metering and budgets (controller_usage.cc, controller_budget.cc); no mu_ held ---
  // The price table now (a snapshot; prices change rarely).
  std::shared_ptr<const billing::PriceTable> Prices() const;
  // Fills each view's metered usage and cost from the store (one query for all).
  Status AddUsage(const std::vector<JobView*>& views);
  // What `tenant` used this month in its budget's unit; 0 without a budget.
  Result<int64_t> BudgetUsed(const store::TenantRecord& tenant, int64_t now_ms);
  // What the jobs of key `prefix` used this month in `kind`'s unit ("": 0).
  Result<int64_t> KeyUsed(const std::string& prefix, const std::string& kind, int64_t now_ms);
  // ResourceExhausted (field "budget") when the tenant's budget, or that of the key
  // `key_prefix` submits with, is spent.
  Status CheckBudget(const std::string& tenant, const std::string& key_prefix, int64_t now_ms);
  // EnforceBudgets' part for keys with a budget: their warning and exhaustion events.
  void EnforceKeyBudgets(int64_t now_ms);
  // From Tick(), every kBudgetCheckMs: warning and exhaustion events, and stopping the
  // preemptible jobs of tenants with budget_preempt that spent their budget.
  void EnforceBudgets();
  // Asks the agents to stop `tenant`'s running jobs of priority <= 0 (takes mu_).
  void StopPreemptible(const std::string& tenant, const std::string& month);
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
  // Tick's part: declares silent nodes lost and requeues or fails their jobs.
  void CheckNodesLocked(int64_t now, Deferred& post);
  void RegisterMetrics();

  const ControllerOptions options_;
  store::Store& store_;
  const Clock& clock_;
  std::unique_ptr<core::Scheduler> scheduler_;  // replaced under mu_ when quotas change
  const std::unique_ptr<LogStore> logs_;  // has its own mutex; never calls back into us
  KeyCache keys_;                         // has its own mutex
  std::unique_ptr<store::GroupCommitter> committer_;

  mutable std::mutex mu_;
  // --- guarded by mu_ ---
  Rng rng_;
  core::ClusterState state_;
  // Hash maps: the scheduler looks every queued job up on every pass.
  std::unordered_map<core::JobId, JobView> active_;  // committed pending/scheduled/running jobs
  GangTracker gangs_;  // rank exits of multi-node jobs whose attempt has not ended
  std::unordered_map<core::JobId, int64_t> queued_since_ms_;  // pending: when they (re)entered
  std::unordered_map<core::JobId, InFlight> in_flight_;       // uncommitted newest versions
  std::map<std::string, std::pair<core::NodeRecord, uint64_t>> nodes_in_flight_;
  std::map<std::string, NodeEntry> nodes_;
  std::map<std::string, store::TenantRecord> tenants_;  // stored tenants, by name
  std::map<std::string, store::ApiKeyRecord> key_budgets_;  // keys with a budget, by prefix
  std::shared_ptr<const billing::PriceTable> prices_ =
      std::make_shared<const billing::PriceTable>();
  int64_t next_budget_check_ms_ = 0;
  IdempotencyIndex idempotency_;
  core::DependencyGraph deps_;  // pending jobs that wait for others (controller_deps.cc)
  struct RecentEnd {
    core::JobState state = core::JobState::kSucceeded;
    std::string reason;
  };
  // The last ends committed, for submits that read a dependency before it ended.
  std::unordered_map<core::JobId, RecentEnd> recent_ends_;
  std::deque<core::JobId> recent_order_;
  core::JobId next_id_ = 1;
  uint64_t write_seq_ = 0;
  uint64_t epoch_ = 1;
  int64_t writes_in_flight_ = 0;
  int64_t version_base_ = 1;  // first version of a node; distinct across restarts
  std::string join_hash_;
  Secrets secrets_;
  std::map<core::JobState, int64_t> ended_counts_;  // terminal jobs, for /metrics
  int64_t next_expiry_ms_ = 0;
  bool shutdown_ = false;
  bool stopping_ = false;  // the scheduler thread ends
  // Scheduling: a pass runs when dirty and none is in flight, spaced by its own duration.
  bool sched_dirty_ = false;
  bool sched_in_flight_ = false;
  uint64_t sched_generation_ = 0;       // bumped by every change that calls for a pass
  uint64_t sched_done_generation_ = 0;  // the newest generation a committed pass covered
  std::chrono::steady_clock::time_point next_pass_at_{};
  // When the last pass decided nothing (every queued job waits) and only arrivals came since,
  // the next pass waits until next_idle_pass_at_ instead.
  bool sched_other_change_ = false;  // a change other than an arrival since the last pass
  bool in_writer_callbacks_ = false;  // the writer applies a group (MarkDirtyLocked waits)
  std::chrono::steady_clock::duration last_pass_took_{};
  bool last_pass_idle_ = false;
  std::chrono::steady_clock::time_point next_idle_pass_at_{};
  std::condition_variable sched_cv_;
  std::condition_variable idle_cv_;  // Settle() waits here
  std::thread scheduler_thread_;
  Deferred group_post_;  // writer thread only, under mu_: runs after each group's callbacks

  // Metrics (nullptr when options_.metrics is null).
  metrics::Histogram* queue_wait_ = nullptr;
  metrics::Histogram* cycle_seconds_ = nullptr;
  metrics::Counter* placed_ = nullptr;
  metrics::Counter* waited_ = nullptr;
  metrics::Counter* preempted_ = nullptr;
  metrics::Counter* infeasible_ = nullptr;
  metrics::Counter* nodes_lost_ = nullptr;
};

}  // namespace fastgpu::control
