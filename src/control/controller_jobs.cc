// The user-facing calls of ControllerImpl: jobs, their history and their logs.
#include <optional>
#include <utility>

#include "control/auth.h"
#include "control/controller_impl.h"
#include "control/job_array.h"
#include "control/roles.h"
#include "control/validation.h"
#include "store/record_codec.h"

namespace fastgpu::control {
namespace {

constexpr int32_t kMaxPageSize = 1000;
constexpr int64_t kMaxLogRead = 16 * 1024 * 1024;

std::string JobName(core::JobId id) { return "job " + std::to_string(id); }

Status JobNotFound(core::JobId id) { return NotFound(JobName(id) + " not found", "id"); }

bool Visible(const Caller& caller, const core::JobRecord& rec) {
  return CanSeeJob(caller, rec.tenant, rec.key_prefix);
}

// What makes two submits the same request: the spec as stored, the tenant and the array.
Result<std::string> RequestHash(const core::JobSpec& spec, const std::string& tenant,
                                const std::string& array) {
  FG_ASSIGN_OR_RETURN(std::string json, store::EncodeJobSpec(spec));
  return Sha256Hex(tenant + '\n' + json + (array.empty() ? "" : "\narray " + array));
}

}  // namespace

std::optional<JobView> ControllerImpl::ActiveViewLocked(core::JobId id) const {
  auto it = active_.find(id);
  if (it == active_.end()) return std::nullopt;
  return it->second;
}

Result<JobView> ControllerImpl::FindVisible(const Caller& caller, core::JobId id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (std::optional<JobView> view = ActiveViewLocked(id)) {
      if (!Visible(caller, view->record)) return JobNotFound(id);
      return *std::move(view);
    }
  }
  Result<core::JobRecord> rec = store_.GetJob(id);  // a read connection: never waits on writes
  if (!rec.ok()) {
    if (rec.error().code() == StatusCode::kNotFound) return JobNotFound(id);
    return rec.error();
  }
  // It may have become active since (a requeue cannot happen to a terminal job, but a job
  // committed between the two looks is active): memory wins when it has it.
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (std::optional<JobView> view = ActiveViewLocked(id)) rec = std::move(view->record);
  }
  if (!Visible(caller, *rec)) return JobNotFound(id);
  return JobView{std::move(*rec), 0};
}

Status ControllerImpl::CheckTenantLimitsLocked(const std::string& tenant,
                                              const core::JobSpec& spec) const {
  const int64_t max_mib = TenantLocked(tenant).record.max_gpu_memory_mib;
  const core::ResourceRequest& r = spec.resources;
  if (max_mib >= 0 && r.gpu_count > 0 && (r.gpu_memory_mib == 0 || r.gpu_memory_mib > max_mib)) {
    return InvalidArgument("tenant " + tenant + " may use GPU memory slices of at most " +
                               std::to_string(max_mib) + " MiB per job: ask for gpu_memory_mib " +
                               "<= " + std::to_string(max_mib) + " (--gpu-memory)",
                           "resources.gpu_memory_mib");
  }
  return Status::Ok();
}

void ControllerImpl::Submit(const Caller& caller, core::JobSpec spec, const SubmitOptions& options,
                            JobDone done) {
  if (Status st = Require(caller, Action::kSubmit, "submit jobs"); !st.ok()) return done(st);
  if (Status st = ValidateSpec(spec); !st.ok()) return done(st);
  std::optional<ArrayRequest> array;
  if (!options.array.empty()) {
    Result<ArrayRequest> parsed = ParseArray(options.array);
    if (!parsed.ok()) return done(parsed.error());
    array = std::move(parsed).value();
  }
  if (!spec.tenant.empty() && spec.tenant != caller.tenant && !IsAdmin(caller)) {
    return done(PermissionDenied("only admins may submit jobs for another tenant"));
  }
  core::JobRecord rec;
  rec.tenant = spec.tenant.empty() ? caller.tenant : spec.tenant;
  rec.user = caller.user;
  rec.key_prefix = caller.key_prefix;
  spec.tenant.clear();
  rec.spec = std::move(spec);
  rec.state = core::JobState::kPending;
  if (Status st = CheckBudget(rec.tenant, rec.key_prefix, clock_.Now().ms); !st.ok()) {
    return done(st);
  }
  // Store reads: before the lock. Checked again under it (CheckDependenciesLocked).
  Result<std::vector<DependencyTarget>> targets = ReadDependencies(
      caller, rec.spec.dependencies, array ? array->indexes.size() : 1);
  if (!targets.ok()) return done(targets.error());
  std::string hash;
  const std::string& key = options.idempotency_key;
  if (!key.empty()) {
    if (Status st = ValidateIdempotencyKey(key); !st.ok()) return done(st);
    Result<std::string> h = RequestHash(rec.spec, rec.tenant, options.array);
    if (!h.ok()) return done(h.error());
    hash = std::move(h).value();
  }
  // Answers `done` with the job's view once it is committed (or the commit's error).
  auto answer = [this, done](core::JobId id, Status st) {
    if (!st.ok()) return done(st);
    done(FindVisible(Caller{"", "admin", ""}, id));
  };
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) {
    post.Add([done] { done(Unavailable("the server is shutting down")); });
    return;
  }
  Status admissible = scheduler_->CheckFeasible(state_, rec.spec.resources);
  if (admissible.ok()) admissible = CheckTenantLimitsLocked(rec.tenant, rec.spec);
  if (!admissible.ok()) {
    post.Add([done, admissible] { done(admissible); });
    return;
  }
  if (IdempotencyIndex::Entry* entry = key.empty() ? nullptr : idempotency_.Find(rec.tenant, key)) {
    if (entry->request_hash != hash) {
      Status st(StatusCode::kFailedPrecondition,
                "Idempotency-Key \"" + key + "\" was used for another request (job " +
                    std::to_string(entry->job) + ")",
                "Idempotency-Key");
      post.Add([done, st] { done(st); });
    } else if (entry->committed) {
      post.Add([answer, id = entry->job] { answer(id, Status::Ok()); });
    } else {
      entry->waiters.push_back([answer, id = entry->job](Status st) { answer(id, st); });
    }
    return;
  }
  if (Status st = CheckDependenciesLocked(*targets); !st.ok()) {
    post.Add([done, st] { done(st); });
    return;
  }
  rec.id = next_id_++;
  rec.submit_ms = clock_.Now().ms;
  const core::JobId id = rec.id;
  Write write;
  if (!key.empty()) {
    idempotency_.Insert(rec.tenant, key,
                        IdempotencyIndex::Entry{hash, id, rec.submit_ms, false, {}});
    write.extra.idempotency_keys.push_back(
        store::IdempotencyRecord{rec.tenant, key, hash, id, rec.submit_ms});
  }
  if (array) {  // the tasks take ids id, id + 1, ...: one commit, answered with the first
    write.jobs = ExpandArray(rec, *array, id);
    next_id_ = id + static_cast<core::JobId>(write.jobs.size());
  } else {
    if (targets->empty()) PlaceAtSubmitLocked(rec, write);
    write.jobs.push_back(std::move(rec));
  }
  for (const core::JobRecord& job : write.jobs) {  // each task of an array waits on its own
    AddWaiterLocked(job.id, job.spec.dependencies, *targets);
  }
  if (key.empty()) {  // the common case: the view is computed under the writer's lock
    write.view_of = id;
    write.view_done = std::move(done);
    return WriteLocked(std::move(write));
  }
  write.done = [this, answer, id, key, tenant = write.jobs[0].tenant](Status st) {
    std::vector<std::function<void(Status)>> waiters;
    {
      std::lock_guard<std::mutex> relock(mu_);
      if (IdempotencyIndex::Entry* e = idempotency_.Find(tenant, key); e && e->job == id) {
        waiters = std::move(e->waiters);
        e->waiters.clear();
        if (st.ok()) {
          e->committed = true;
        } else {
          idempotency_.Erase(tenant, key);  // never written: a retry may try again
        }
      }
    }
    answer(id, st);
    for (auto& w : waiters) w(st);
  };
  WriteLocked(std::move(write));
}

void ControllerImpl::Cancel(const Caller& caller, core::JobId id, JobDone done) {
  if (Status st = Require(caller, Action::kCancel, "cancel jobs"); !st.ok()) return done(st);
  // Terminal or unknown jobs are not in memory: the store says which.
  Result<JobView> found = FindVisible(caller, id);
  if (!found.ok()) return done(found.error());
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  const core::JobRecord* cur = CurrentLocked(id);
  if (cur == nullptr || core::IsTerminal(cur->state)) {
    const core::JobState state = cur != nullptr ? cur->state : found->record.state;
    Status st = FailedPrecondition(JobName(id) + " already ended (" +
                                   std::string(core::JobStateName(state)) + ")");
    post.Add([done, st] { done(st); });
    return;
  }
  if (shutdown_) {
    post.Add([done] { done(Unavailable("the server is shutting down")); });
    return;
  }
  if (cur->cancel_requested) {  // already asked; the agent is stopping it
    post.Add([this, done, caller, id] { done(GetJob(caller, id)); });
    return;
  }
  core::JobRecord rec = *cur;
  rec.cancel_requested = true;
  if (rec.state == core::JobState::kPending) {
    rec.state = core::JobState::kCancelled;
    rec.reason = "cancelled by user";
    rec.end_ms = clock_.Now().ms;
  } else {
    rec.reason.clear();  // it ends as "cancelled by user"
  }
  Write write;
  write.jobs.push_back(std::move(rec));
  write.view_of = id;
  // Answered without mu_ (from the writer's post): the usage so far is read from the store.
  write.view_done = [this, done = std::move(done)](Result<JobView> view) {
    if (view.ok()) {
      if (Status st = AddUsage({&*view}); !st.ok()) return done(st);
    }
    done(std::move(view));
  };
  WriteLocked(std::move(write));
}

Result<JobPage> ControllerImpl::ListJobs(const Caller& caller, store::JobFilter filter) {
  if (filter.limit < 1 || filter.limit > kMaxPageSize) {
    return InvalidArgument("limit must be in 1..1000", "limit");
  }
  if (!IsAdmin(caller)) filter.tenant = caller.tenant;
  if (caller.role == kRoleSubmitOnly) filter.key_prefix = caller.key_prefix;
  const int32_t limit = filter.limit;
  filter.limit = limit + 1;  // one more tells whether there is a next page
  FG_ASSIGN_OR_RETURN(std::vector<core::JobRecord> records, store_.ListJobs(filter));
  JobPage page;
  std::unique_lock<std::mutex> lock(mu_);
  for (core::JobRecord& rec : records) {
    if (static_cast<int32_t>(page.jobs.size()) == limit) {
      page.next = page.jobs.back().record.id;
      break;
    }
    auto it = active_.find(rec.id);
    if (it != active_.end()) {
      page.jobs.push_back(it->second);  // plus the pending reason and position
    } else {
      page.jobs.push_back(JobView{std::move(rec), 0});
    }
  }
  lock.unlock();
  std::vector<JobView*> views;
  for (JobView& v : page.jobs) views.push_back(&v);
  FG_RETURN_IF_ERROR(AddUsage(views));
  return page;
}

Result<JobView> ControllerImpl::GetJob(const Caller& caller, core::JobId id) {
  FG_ASSIGN_OR_RETURN(JobView view, FindVisible(caller, id));
  FG_RETURN_IF_ERROR(AddUsage({&view}));
  return view;
}

Result<std::vector<store::JobEvent>> ControllerImpl::JobEvents(const Caller& caller,
                                                               core::JobId id) {
  FG_RETURN_IF_ERROR(FindVisible(caller, id).status());
  return store_.ListJobEvents(id);
}

Result<std::string> ControllerImpl::ReadLog(const Caller& caller, core::JobId id, LogStream stream,
                                            int64_t offset, int64_t max_bytes, bool* job_ended) {
  if (offset < 0) return InvalidArgument("offset must be >= 0", "offset");
  if (max_bytes <= 0 || max_bytes > kMaxLogRead) max_bytes = kMaxLogRead;
  FG_ASSIGN_OR_RETURN(JobView view, FindVisible(caller, id));
  if (job_ended) *job_ended = core::IsTerminal(view.record.state);
  return logs_->Read(id, view.record.attempt, stream, offset, max_bytes);
}

Status ControllerImpl::FollowLog(const Caller& caller, core::JobId id, LogStream stream,
                                 int64_t offset, LogSink sink) {
  if (offset < 0) return InvalidArgument("offset must be >= 0", "offset");
  FG_ASSIGN_OR_RETURN(JobView found, FindVisible(caller, id));
  Deferred post;  // runs the first delivery after the mutex is released
  std::lock_guard<std::mutex> lock(mu_);
  // Registered under mu_, so a job that ends after this check reaches the follower through
  // ApplyCommittedLocked -> MarkEnded. A job no longer active has ended.
  std::optional<JobView> view = ActiveViewLocked(id);
  const bool ended = !view.has_value() || shutdown_;
  const int32_t attempt = view ? view->record.attempt : found.record.attempt;
  post.Add(logs_->Follow(id, attempt, stream, offset, ended, std::move(sink)));
  return Status::Ok();
}

}  // namespace fastgpu::control
