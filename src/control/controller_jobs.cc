// The user-facing calls of ControllerImpl: jobs and their logs.
#include <utility>

#include "control/controller_impl.h"
#include "control/roles.h"
#include "control/validation.h"

namespace fastgpu::control {
namespace {

constexpr int32_t kMaxPageSize = 1000;
constexpr int64_t kMaxLogRead = 16 * 1024 * 1024;

std::string JobName(core::JobId id) { return "job " + std::to_string(id); }

}  // namespace

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

Result<JobView> ControllerImpl::Submit(const Caller& caller, core::JobSpec spec) {
  FG_RETURN_IF_ERROR(Require(caller, Action::kSubmit, "submit jobs"));
  FG_RETURN_IF_ERROR(ValidateSpec(spec));
  if (!spec.tenant.empty() && spec.tenant != caller.tenant && !IsAdmin(caller)) {
    return PermissionDenied("only admins may submit jobs for another tenant");
  }
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) return Unavailable("the server is shutting down");
  FG_RETURN_IF_ERROR(scheduler_->CheckFeasible(state_, spec.resources));
  core::JobRecord rec;
  rec.tenant = spec.tenant.empty() ? caller.tenant : spec.tenant;
  FG_RETURN_IF_ERROR(CheckTenantLimitsLocked(rec.tenant, spec));
  rec.user = caller.user;
  rec.key_prefix = caller.key_prefix;
  spec.tenant.clear();
  rec.spec = std::move(spec);
  rec.state = core::JobState::kPending;
  rec.submit_ms = clock_.Now().ms;
  FG_ASSIGN_OR_RETURN(rec.id, store_.CreateJob(rec));
  const core::JobId id = rec.id;
  core::QueuedJob queued;
  queued.id = id;
  queued.tenant = rec.tenant;
  queued.priority = rec.spec.priority;
  queued.submit_ms = rec.submit_ms;
  queued.request = rec.spec.resources;
  queued.time_limit_s = rec.spec.time_limit_s;
  if (Status st = state_.Apply(core::JobQueued{std::move(queued)}); !st.ok()) {
    return Internal(JobName(id) + " was stored but not queued: " + st.ToString());
  }
  active_[id] = JobView{std::move(rec), 0};
  ScheduleLocked(post);
  return ViewLocked(id);
}

Result<JobPage> ControllerImpl::ListJobs(const Caller& caller, store::JobFilter filter) {
  if (filter.limit < 1 || filter.limit > kMaxPageSize) {
    return InvalidArgument("limit must be in 1..1000", "limit");
  }
  if (!IsAdmin(caller)) filter.tenant = caller.tenant;
  if (caller.role == kRoleSubmitOnly) filter.key_prefix = caller.key_prefix;
  const int32_t limit = filter.limit;
  filter.limit = limit + 1;  // one more tells whether there is a next page
  std::lock_guard<std::mutex> lock(mu_);
  FG_ASSIGN_OR_RETURN(std::vector<core::JobRecord> records, store_.ListJobs(filter));
  JobPage page;
  for (core::JobRecord& rec : records) {
    if (static_cast<int32_t>(page.jobs.size()) == limit) {
      page.next = page.jobs.back().record.id;
      break;
    }
    auto it = active_.find(rec.id);
    if (it != active_.end()) {
      page.jobs.push_back(it->second);  // same record, plus the pending reason and position
    } else {
      page.jobs.push_back(JobView{std::move(rec), 0});
    }
  }
  return page;
}

Result<JobView> ControllerImpl::GetJob(const Caller& caller, core::JobId id) {
  std::lock_guard<std::mutex> lock(mu_);
  return FindVisibleLocked(caller, id);
}

Result<JobView> ControllerImpl::Cancel(const Caller& caller, core::JobId id) {
  FG_RETURN_IF_ERROR(Require(caller, Action::kCancel, "cancel jobs"));
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  FG_ASSIGN_OR_RETURN(JobView view, FindVisibleLocked(caller, id));
  if (core::IsTerminal(view.record.state)) {
    return FailedPrecondition(JobName(id) + " already ended (" +
                              std::string(core::JobStateName(view.record.state)) + ")");
  }
  auto it = active_.find(id);
  if (it == active_.end()) return Internal(JobName(id) + " is active in the store only");
  core::JobRecord rec = it->second.record;
  if (rec.state == core::JobState::kPending) {
    rec.state = core::JobState::kCancelled;
    rec.cancel_requested = true;
    rec.reason = "cancelled by user";
    rec.end_ms = clock_.Now().ms;
    FG_RETURN_IF_ERROR(store_.UpdateJobs({rec}));
    it->second.record = rec;
    ReleaseLocked(id, post);
    ScheduleLocked(post);  // the positions of the jobs behind it move up
    return JobView{std::move(rec), 0};
  }
  if (rec.cancel_requested) return it->second;  // already asked; the agent is stopping it
  rec.cancel_requested = true;
  FG_RETURN_IF_ERROR(store_.UpdateJobs({rec}));
  it->second.record = rec;
  // Out of the node's desired set: the agent stops it and reports the exit.
  auto node = nodes_.find(rec.placement ? rec.placement->node : std::string());
  if (node != nodes_.end()) BumpLocked(node->second, post);
  return it->second;
}

Result<std::string> ControllerImpl::ReadLog(const Caller& caller, core::JobId id, LogStream stream,
                                            int64_t offset, int64_t max_bytes, bool* job_ended) {
  if (offset < 0) return InvalidArgument("offset must be >= 0", "offset");
  if (max_bytes <= 0 || max_bytes > kMaxLogRead) max_bytes = kMaxLogRead;
  JobView view;
  {
    std::lock_guard<std::mutex> lock(mu_);
    FG_ASSIGN_OR_RETURN(view, FindVisibleLocked(caller, id));
  }
  if (job_ended) *job_ended = core::IsTerminal(view.record.state);
  return logs_->Read(id, view.record.attempt, stream, offset, max_bytes);
}

Status ControllerImpl::FollowLog(const Caller& caller, core::JobId id, LogStream stream,
                                 int64_t offset, LogSink sink) {
  if (offset < 0) return InvalidArgument("offset must be >= 0", "offset");
  Deferred post;  // runs the first delivery after the mutex is released
  std::lock_guard<std::mutex> lock(mu_);
  FG_ASSIGN_OR_RETURN(JobView view, FindVisibleLocked(caller, id));
  // Registered under mu_, so a job that ends after this check reaches the follower through
  // ReleaseLocked -> MarkEnded.
  const bool ended = core::IsTerminal(view.record.state) || shutdown_;
  post.Add(logs_->Follow(id, view.record.attempt, stream, offset, ended, std::move(sink)));
  return Status::Ok();
}

}  // namespace fastgpu::control
