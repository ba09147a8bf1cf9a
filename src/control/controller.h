#pragma once
// Controller: the control plane's service layer. It owns the in-memory ClusterState, runs the
// scheduler, persists every change in the Store before acknowledging it, keeps job logs on
// disk, tracks node health, and wakes agents' long polls and users' log follows.
//
// Level-triggered: it stores *desired* attempts per node; agents report *actual* attempts;
// Report() reconciles. Duplicate or stale reports are harmless.
//
// Durable: a change is answered (its callback runs) only after the store has committed it.
// Changes go to one writer (store::GroupCommitter) that groups the changes of concurrent callers
// into one transaction; the in-memory state follows each commit, so what reads return has been
// committed, and reads never wait for a commit in progress. The scheduler runs on its own
// thread whenever the queue or the free capacity changed, and its decisions are committed
// before any agent is told of them, so nothing runs that a restart would not know about.
//
// Safe for concurrent use. Callbacks passed in are invoked without the controller's lock held,
// exactly once, possibly on another thread (the store writer's, the caller of Tick(), or the
// caller itself when the answer is known at once). Callbacks must not call the blocking
// conveniences (the non-virtual Submit/Cancel/RegisterNode/Report) of the same controller.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/result.h"
#include "control/billing.h"
#include "core/model/job.h"
#include "core/model/telemetry.h"
#include "core/queue/queue_options.h"
#include "store/store.h"

namespace fastgpu::control {

struct ControllerOptions {
  std::string data_dir;             // logs go to data_dir/logs
  std::string policy;               // placement policy name; "": the default (the best one)
  core::QueueOptions queue;         // tenants' weights and quotas, sorter, backfill, preemption
  int64_t node_grace_ms = 10000;    // heartbeat silence after which a node is lost
  int64_t heartbeat_ms = 2000;      // told to agents at register
  int64_t idempotency_ttl_ms = 24 * 3600 * 1000;  // how long an Idempotency-Key is remembered
  metrics::Registry* metrics = nullptr;  // fastgpu_* metrics go here; nullptr: nowhere
  std::string currency = "USD";     // the unit of the price table, shown with costs
};

struct SubmitOptions {
  // Idempotency-Key: a submit that repeats a key of the same tenant (within idempotency_ttl_ms)
  // creates nothing and answers with the job the first one created. "": none.
  std::string idempotency_key;
  // A job array: "0-99%8" submits one task per index (control/job_array.h), answered with the
  // first task. "": one job.
  std::string array;
};

// Who is calling, from a verified API key. Roles and what they may do: control/roles.h.
struct Caller {
  std::string tenant;
  std::string role;        // "admin", "member", "viewer", "submit-only"
  std::string key_prefix;
  std::string user;        // the key's user; may be ""
};

// A monthly budget of one API key's jobs (docs/billing.md): kind "" (none), "currency"
// (limit in micro-units) or "gpu_hours" (limit in milli-GPU-hours).
struct KeyBudget {
  std::string kind;
  int64_t limit = 0;
  int32_t warn_percent = 80;
};

// POST /v1/keys.
struct KeyRequest {
  std::string tenant;      // "": the caller's
  std::string role = "member";
  std::string user;
  std::string label;
  int64_t expires_ms = 0;  // 0: never
  KeyBudget budget;
};
struct NewKey {
  std::string key;              // shown once; only its hash is stored
  store::ApiKeyRecord record;   // record.hash is not shown by the API
};

// A tenant as the API shows it: the stored record, or the config file's / default policy
// for a tenant that has none (`stored` false).
struct TenantView {
  store::TenantRecord record;
  bool stored = false;
  // With a budget: what it used this UTC month, in the budget's unit (micro-currency, or
  // milli-GPU-hours), so used * 100 / limit is the percent spent.
  int64_t budget_used = 0;
};

struct JobView {
  core::JobRecord record;       // record.reason is the current pending reason while pending
  int32_t queue_position = 0;   // >0 only while pending
  // Pending only: the dependencies of record.spec.dependencies not met yet (controller_deps.cc).
  std::vector<Dependency> waiting_for;
  billing::Totals usage;        // metered so far over all its attempts (a running one to now)
};

// GET /v1/usage.
struct UsageQuery {
  std::string tenant;     // "": every tenant (admins) or the caller's (others: always theirs)
  int64_t from_ms = -1;   // -1: the start of the current UTC month
  int64_t to_ms = -1;     // -1: now
  billing::Grouping grouping;
};
struct UsageReport {
  int64_t from_ms = 0, to_ms = 0;
  std::string currency;
  std::vector<billing::UsageRow> rows;
  billing::Totals total;  // the sum of the rows
};

struct JobPage {
  std::vector<JobView> jobs;
  std::optional<core::JobId> next;  // pass as after_id for the next page
};

// What an agent says about its node besides its attempts (the "node_status" of a report):
// the admin's health check, and which isolation boundaries between jobs the node enforces.
struct NodeStatus {
  bool healthy = true;         // an unhealthy node gets no new work
  std::string health_message;  // why not healthy
  std::map<std::string, std::string> isolation;  // boundary -> mechanism or "none: why"
  bool isolates_tenants = true;                  // every boundary between tenants holds
  std::vector<std::string> warnings;             // the boundaries that do not hold
  bool operator==(const NodeStatus&) const = default;
};

struct NodeView {
  core::NodeRecord record;   // record.cordoned / record.draining: what an operator asked
  bool ready = false;        // heartbeats arrive
  // The agent's last GPU telemetry (sampled_ms 0: none yet); kept in memory only.
  core::NodeTelemetry telemetry;
  std::optional<NodeStatus> status;  // absent until the agent has sent one (register, report)
  int32_t jobs = 0;          // jobs bound here (scheduled or running)
  // "ready", "not_ready", "unhealthy" (its health check fails), "cordoned", "draining"
  // (cordoned, jobs still running) or "drained".
  std::string state;
};

enum class NodeAction { kCordon, kUncordon, kDrain };

struct Allocation {
  core::JobId job = 0;
  std::string tenant;
  core::Slice slice;
  std::optional<int64_t> memory_peak_mib;  // the job's GPU memory high-water mark, when reported
};
struct GpuView {
  std::string node;
  core::DeviceSpec device;
  std::optional<core::DeviceTelemetry> telemetry;  // the agent's last sample of this device
  bool node_ready = false;
  int32_t free_milli = 0;
  int64_t free_memory_mib = 0;
  std::vector<Allocation> allocations;
};
struct PoolSummary {
  int32_t nodes = 0, gpus = 0, idle_gpus = 0, pending_jobs = 0;
  int64_t total_milli = 0, free_milli = 0, total_memory_mib = 0, free_memory_mib = 0;
};
struct PoolView { std::vector<GpuView> gpus; PoolSummary summary; };

enum class LogStream { kStdout, kStderr };

// What the agent says about one attempt.
struct AttemptReport {
  core::JobId job = 0;
  int32_t attempt = 0;
  bool exited = false;
  int32_t pid = 0;
  std::optional<int32_t> exit_code;
  std::optional<int32_t> signal;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  std::string error;  // non-empty: could not start
  bool oom_killed = false;  // the kernel's OOM killer killed a process of the job
  bool timed_out = false;   // the agent stopped it at its time limit
  // The agent killed it after losing the server for the grace period (fenced): treated as lost
  // with its node (requeued within max_retries, else failed "node lost").
  bool lost = false;
};
struct AttemptKey {
  core::JobId job = 0;
  int32_t attempt = 0;
  bool operator==(const AttemptKey&) const = default;
};

// The node label an agent sets to the address other nodes reach it at (agent --address).
inline constexpr const char* kNodeAddressLabel = "fastgpu/address";

// One attempt that should run on a node. For a multi-node job, the rank that runs on this
// node: `placement` is that rank's part, and the torch.distributed rendezvous is rank 0's
// node address (its "fastgpu/address" label, else its name) and port.
struct DesiredAttempt {
  core::JobId job = 0;
  int32_t attempt = 0;
  std::string tenant;
  core::JobSpec spec;
  core::Placement placement;
  int32_t rank = 0;
  int32_t world_size = 1;
  std::string master_addr;
  int32_t master_port = 0;
};
struct DesiredSet {
  int64_t version = 0;
  std::vector<DesiredAttempt> attempts;  // by job id
};

class Controller {
 public:
  // Recovers state from `store` (nodes, pending queue, bound jobs), creates data_dir/logs,
  // creates the first admin key and join token if the store has none (see FirstStartSecrets),
  // starts the store writer and the scheduler threads and runs a first scheduling pass.
  // `store` and `clock` must outlive the controller.
  static Result<std::unique_ptr<Controller>> Open(const ControllerOptions& options,
                                                  store::Store& store, const Clock& clock);
  // Shutdown(), then stops the threads.
  virtual ~Controller() = default;

  // Secrets created by this Open() on a fresh store (written by the caller to
  // DATA/admin-key and DATA/join-token, 0600); empty strings when the store already had them.
  struct Secrets { std::string admin_key; std::string join_token; };
  virtual Secrets FirstStartSecrets() const = 0;
  // Replaces the join token (its hash is stored): for --join-token.
  virtual Status SetJoinToken(const std::string& token) = 0;

  // --- auth ---
  // Unauthenticated for a missing, malformed, unknown, revoked, expired or wrong key. Verified
  // keys are cached (a hash compare per request); a key revoked through this controller is
  // refused at once.
  virtual Result<Caller> Authenticate(std::string_view bearer_key) = 0;
  virtual Status AuthenticateAgent(std::string_view bearer_token) = 0;

  // --- tenants, keys, audit (control/controller_tenants.cc) ---
  // Admins only (PermissionDenied else). InvalidArgument naming the field for a bad name,
  // role, expiry in the past, or an unknown tenant is fine (tenants exist implicitly).
  virtual Result<NewKey> CreateKey(const Caller& caller, KeyRequest request) = 0;
  // Admins: every key (of `tenant` when not empty); others PermissionDenied.
  virtual Result<std::vector<store::ApiKeyRecord>> ListKeys(const Caller& caller,
                                                            const std::string& tenant) = 0;
  // Admins any key, others only the key they call with; NotFound (field "prefix") for a key
  // that does not exist or that the caller may not see. Takes effect on the next request.
  virtual Result<store::ApiKeyRecord> RevokeKey(const Caller& caller,
                                                const std::string& prefix) = 0;
  // Admins only: sets (kind "": removes) the key's monthly budget, from its next submit on.
  // NotFound (field "prefix"); InvalidArgument naming the budget field.
  virtual Result<store::ApiKeyRecord> SetKeyBudget(const Caller& caller,
                                                   const std::string& prefix,
                                                   KeyBudget budget) = 0;
  // What the key's jobs spent this month in its budget's unit (0 without a budget).
  // Admins only.
  virtual Result<int64_t> KeyBudgetUsed(const Caller& caller, const std::string& prefix) = 0;
  // Admins: every tenant (stored, in the config file, or named by a key or a job's key);
  // others: their own only.
  virtual Result<std::vector<TenantView>> ListTenants(const Caller& caller) = 0;
  // NotFound for another tenant's name unless admin.
  virtual Result<TenantView> GetTenant(const Caller& caller, const std::string& name) = 0;
  // Admins only: stores the tenant's quotas and budget; they apply to scheduling at once.
  // InvalidArgument naming the field for values out of range.
  virtual Result<TenantView> PutTenant(const Caller& caller, store::TenantRecord tenant) = 0;
  // Appends one audit record (from the API layer, for every mutating request). It is queued
  // for the next group commit: durable a moment after this returns, never delaying an answer.
  virtual Status RecordAudit(store::AuditRecord record) = 0;
  // Admins only, newest first; includes every record queued before the call.
  virtual Result<std::vector<store::AuditRecord>> ListAudit(const Caller& caller,
                                                            store::AuditFilter filter) = 0;

  // Budget events (warnings, exhaustion), newest first: admins any tenant ("" all), others
  // their own.
  virtual Result<std::vector<store::BillingEvent>> ListBillingEvents(const Caller& caller,
                                                                     const std::string& tenant) = 0;

  // --- metering and prices (control/controller_usage.cc) ---
  // Roles that may read usage (control/roles.h); non-admins only their tenant's.
  // InvalidArgument (field "from"/"to") for an empty or reversed window.
  virtual Result<UsageReport> Usage(const Caller& caller, UsageQuery query) = 0;
  // Every price row; any role.
  virtual Result<std::vector<store::PriceRecord>> ListPrices(const Caller& caller) = 0;
  // Admins only. InvalidArgument naming the field for a bad resource or a negative price.
  virtual Status PutPrice(const Caller& caller, store::PriceRecord price) = 0;
  // The currency of the price table ("USD").
  virtual std::string Currency() const = 0;
  // Now, by the controller's clock (for defaults such as a price's effective date).
  virtual int64_t NowMs() const = 0;

  // --- jobs (tenant-scoped: non-admins see only their tenant's jobs; others are NotFound) ---
  using JobDone = std::function<void(Result<JobView>)>;
  // Validates, checks feasibility, commits, then answers with the pending job; the scheduler
  // places it right after. InvalidArgument naming the field; spec.tenant (when set) runs the
  // job as that tenant: admins only, PermissionDenied else. A key already used by this tenant
  // answers with the job of the first submit (as it is now), or FailedPrecondition when the
  // spec differs; a malformed key is InvalidArgument (field "Idempotency-Key").
  // Unavailable when the store cannot commit (e.g. its disk is full) or the server stops.
  // ResourceExhausted (field "budget", HTTP 402) when the tenant's monthly budget is spent.
  virtual void Submit(const Caller& caller, core::JobSpec spec, const SubmitOptions& options,
                      JobDone done) = 0;
  // FailedPrecondition when the job already ended.
  virtual void Cancel(const Caller& caller, core::JobId id, JobDone done) = 0;
  virtual Result<JobPage> ListJobs(const Caller& caller, store::JobFilter filter) = 0;
  virtual Result<JobView> GetJob(const Caller& caller, core::JobId id) = 0;
  // The job's history, oldest first. NotFound as GetJob.
  virtual Result<std::vector<store::JobEvent>> JobEvents(const Caller& caller,
                                                         core::JobId id) = 0;

  // --- logs ---
  // Up to max_bytes of the stream from offset. *job_ended is set when the job is terminal and
  // the agent has shipped its last bytes.
  virtual Result<std::string> ReadLog(const Caller& caller, core::JobId id, LogStream stream,
                                      int64_t offset, int64_t max_bytes, bool* job_ended) = 0;
  // Calls sink(chunk, ended) with the bytes from offset, then again with each new chunk, and
  // a last time with ended=true when the job has ended and all bytes were sent. The sink
  // returns false to stop following (client gone). Returns NotFound as GetJob does.
  using LogSink = std::function<bool(std::string_view chunk, bool ended)>;
  virtual Status FollowLog(const Caller& caller, core::JobId id, LogStream stream,
                           int64_t offset, LogSink sink) = 0;

  // --- pool ---
  virtual std::vector<NodeView> ListNodes() = 0;
  // The pool as `caller` may see it: other tenants' allocations show tenant "" and job 0
  // unless the caller is an admin.
  virtual PoolView Pool(const Caller& caller) = 0;
  // NotFound (field "name") for an unknown node.
  virtual Result<NodeView> GetNode(const std::string& name) = 0;
  virtual PoolView Pool() = 0;
  // Cordon: no new jobs go to the node; uncordon undoes cordon and drain; drain: cordon, and
  // the node shows "draining" until its jobs have ended, then "drained". Admins only
  // (PermissionDenied); NotFound (field "name") for an unknown node. Survives restarts.
  using NodeDone = std::function<void(Result<NodeView>)>;
  virtual void SetNodeAction(const Caller& caller, const std::string& name, NodeAction action,
                             NodeDone done) = 0;

  // --- agents ---
  using StatusDone = std::function<void(Status)>;
  // `status` (health, isolation), when the agent sends it, takes effect with the registration:
  // the node is never ready, hence never scheduled, under a status it does not have (a node
  // that cannot isolate tenants would otherwise take another tenant's job before its first
  // report). Its isolates_tenants goes into the node's spec.
  virtual void RegisterNode(core::NodeRecord node, std::optional<NodeStatus> status,
                            StatusDone done) = 0;
  // Records what the agent says about its node (sent with each report, before Report()): an
  // unhealthy node takes no new work until it is healthy again. Memory only, at once.
  // NotFound for an unknown node.
  virtual Status SetNodeStatus(const std::string& node, const NodeStatus& status) = 0;
  // Applies reports (the heartbeat too) and answers with the exited attempts now committed.
  // NotFound for an unknown node.
  using ReportDone = std::function<void(Result<std::vector<AttemptKey>>)>;
  virtual void Report(const std::string& node, std::vector<AttemptReport> attempts,
                      ReportDone done) = 0;
  // Takes a node's GPU telemetry (sent with its heartbeats) for the node and GPU views, at
  // once. A device whose `healthy` differs from the node's spec changes the spec (committed
  // through the writer): an unhealthy device gets no new work, and one healthy again is
  // scheduled on. Should that commit fail, the next heartbeat tries again. NotFound for an
  // unknown node.
  virtual Status ReportTelemetry(const std::string& node, core::NodeTelemetry telemetry) = 0;
  // Appends log bytes (see protocol.md). Returns the stored size; FailedPrecondition with the
  // stored size in *size_out when offset leaves a gap. NotFound for unknown node/job.
  virtual Result<int64_t> AppendLog(const std::string& node, core::JobId job, int32_t attempt,
                                    LogStream stream, int64_t offset, std::string_view data,
                                    int64_t* size_out) = 0;
  // Long poll: calls done once, at once if the node's version != `version`, else when it
  // changes or when wait_ms passes (checked in Tick()). NotFound for an unknown node.
  using DesiredCallback = std::function<void(Result<DesiredSet>)>;
  virtual void WatchDesired(const std::string& node, int64_t version, int64_t wait_ms,
                            DesiredCallback done) = 0;

  // Periodic work: expires long polls, declares silent nodes lost (their attempts are requeued
  // within the jobs' max_retries, else failed "node lost"), retries failed commits, forgets old
  // idempotency keys. Call every ~100 ms.
  virtual void Tick() = 0;
  // Refuses new changes (Unavailable), completes every pending long poll and follow, and
  // waits until every change already accepted is committed. Idempotent.
  virtual void Shutdown() = 0;

  // Waits until every change made before the call is committed and applied, and the scheduler
  // has planned with it and committed its decisions. For tests and tools; never from a callback.
  virtual void Settle() = 0;

  // --- blocking conveniences (tests, tools): the call above, waited for, then Settle(). ---
  Result<JobView> Submit(const Caller& caller, core::JobSpec spec,
                         const SubmitOptions& options = {});
  Result<JobView> Cancel(const Caller& caller, core::JobId id);
  Status RegisterNode(core::NodeRecord node, std::optional<NodeStatus> status = std::nullopt);
  Result<std::vector<AttemptKey>> Report(const std::string& node,
                                         const std::vector<AttemptReport>& attempts);
  Result<NodeView> SetNodeAction(const Caller& caller, const std::string& name,
                                 NodeAction action);
};

}  // namespace fastgpu::control
