// ControllerImpl: job dependencies (submit --after ok:ID / any:ID). The rules are
// core::DependencyGraph's (core/queue/dependency_graph.h); this file feeds it what was
// committed and acts on its answers:
//  - at submit, every dependency must name a job the caller may see (NotFound, field
//    "dependencies", for an unknown one or another tenant's: the same answer), submitted before
//    (a job cannot depend on itself); an ok dependency on a job that already failed or was
//    cancelled is refused (InvalidArgument): it could never be met. Jobs that already ended
//    well count as met at once. An array's id stands for all of its tasks.
//  - a waiting job is queued with a hold (the graph's Hold() text), so the scheduler neither
//    places it nor reserves room for it; the hold is lifted when its dependencies are met;
//  - a job that can never run is cancelled with the reason ("dependency 12 failed (exit code
//    3)"), in a write of its own once the end that dooms it is committed; its own dependents
//    follow when that write is committed (a cascade, one commit per level). A failed write is
//    retried from Tick().
//  - after a restart the graph is rebuilt from the stored specs (RecoverDependenciesLocked).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "control/controller_impl.h"
#include "control/job_array.h"
#include "control/job_outcome.h"

namespace fastgpu::control {
namespace {

constexpr const char* kField = "dependencies";
constexpr size_t kRecentEnds = 65536;  // ends remembered for submits racing them
// Every task of a waiting array holds one edge per job it waits for: a 1,000-task array after
// another fits; 100 such dependencies (10^8 edges, gigabytes) do not.
constexpr size_t kMaxDependencyWaits = 1'000'000;

Status DependencyNotFound(core::JobId id) {
  return NotFound("job " + std::to_string(id) +
                      " not found: a dependency must be one of your jobs (see fastgpu ps --all)",
                  kField);
}

bool Ended(core::JobState s) { return core::IsTerminal(s); }

std::string EndText(const ControllerImpl::DependencyMember& m) {
  return core::HowItEnded(m.state, m.reason);
}

}  // namespace

Result<ControllerImpl::DependencyTarget> ControllerImpl::ReadTarget(
    const Dependency& dep, const core::JobRecord& target) {
  DependencyTarget t;
  t.dep = dep;
  if (target.spec.array_id != target.id) {
    t.members.push_back(DependencyMember{target.id, target.state, target.reason});
    return t;
  }
  // An array: its tasks have the ids target.id, target.id + 1, ... (one commit, job_array.h).
  store::JobFilter filter;
  filter.after_id = target.id - 1;
  filter.limit = kMaxArrayTasks;
  FG_ASSIGN_OR_RETURN(std::vector<core::JobRecord> tasks, store_.ListJobs(filter));
  for (const core::JobRecord& task : tasks) {
    if (task.spec.array_id != target.id) break;
    t.members.push_back(DependencyMember{task.id, task.state, task.reason});
  }
  return t;
}

Result<std::vector<ControllerImpl::DependencyTarget>> ControllerImpl::ReadDependencies(
    const Caller& caller, const std::vector<Dependency>& deps, size_t tasks) {
  std::vector<DependencyTarget> out;
  if (deps.empty()) return out;
  if (deps.size() > kMaxDependencies) {
    return InvalidArgument("at most " + std::to_string(kMaxDependencies) +
                               " dependencies (an array counts as one: name its ID)",
                           kField);
  }
  core::JobId next_id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next_id = next_id_;
  }
  for (const Dependency& dep : deps) {
    if (dep.job >= next_id) {
      return InvalidArgument("job " + std::to_string(dep.job) +
                                 " is not submitted yet: a job can depend only on jobs "
                                 "submitted before it, never on itself",
                             kField);
    }
    Result<JobView> found = FindVisible(caller, dep.job);
    if (!found.ok()) {
      if (found.error().code() == StatusCode::kNotFound) return DependencyNotFound(dep.job);
      return found.error();
    }
    FG_ASSIGN_OR_RETURN(DependencyTarget t, ReadTarget(dep, found->record));
    out.push_back(std::move(t));
  }
  size_t members = 0;
  for (const DependencyTarget& t : out) members += t.members.size();
  if (members * tasks > kMaxDependencyWaits) {
    return InvalidArgument(std::to_string(tasks) + " waiting job(s) times " +
                               std::to_string(members) + " jobs waited for is more than " +
                               std::to_string(kMaxDependencyWaits) +
                               " waits: split the array, or depend on fewer arrays",
                           kField);
  }
  return out;
}

Status ControllerImpl::CheckDependenciesLocked(std::vector<DependencyTarget>& targets) const {
  for (DependencyTarget& t : targets) {
    for (DependencyMember& m : t.members) {
      if (CurrentLocked(m.id) != nullptr) {  // active: its end commits after this submit
        m.state = core::JobState::kRunning;
        continue;
      }
      if (auto it = recent_ends_.find(m.id); it != recent_ends_.end()) {
        m.state = it->second.state;
        m.reason = it->second.reason;
      } else if (!Ended(m.state)) {
        return Unavailable("job " + std::to_string(m.id) + " ended while this job was submitted");
      }
      if (t.dep.kind != DependencyKind::kOk || m.state == core::JobState::kSucceeded) continue;
      const std::string any = "any:" + std::to_string(t.dep.job);
      const std::string what = m.id == t.dep.job && t.members.size() == 1
                                   ? "job " + std::to_string(m.id) + " already " + EndText(m)
                                   : "array " + std::to_string(t.dep.job) + ": its task " +
                                         std::to_string(m.id) + " already " + EndText(m);
      return InvalidArgument(what + ", so ok:" + std::to_string(t.dep.job) +
                                 " can never be met; use " + any +
                                 " to run after it ended in any way",
                             kField);
    }
  }
  return Status::Ok();
}

void ControllerImpl::AddWaiterLocked(core::JobId id, const std::vector<Dependency>& deps,
                                     const std::vector<DependencyTarget>& targets) {
  if (deps.empty()) return;
  std::vector<std::vector<core::JobId>> members;
  for (const DependencyTarget& t : targets) {
    members.emplace_back();
    for (const DependencyMember& m : t.members) members.back().push_back(m.id);
  }
  deps_.Add(id, deps, std::move(members));
  for (const DependencyTarget& t : targets) {
    for (const DependencyMember& m : t.members) {
      if (Ended(m.state)) deps_.Ended(m.id, m.state, m.reason);  // met: it ended well
    }
  }
}

core::QueuedJob ControllerImpl::QueuedLocked(const core::JobRecord& rec) const {
  core::QueuedJob q = ToQueued(rec);
  q.hold = deps_.Hold(rec.id);
  return q;
}

void ControllerImpl::RefreshWaiterLocked(core::JobId id) {
  auto it = active_.find(id);
  if (it == active_.end()) return;  // not committed yet: queued with its hold at commit
  const std::string hold = deps_.Hold(id);
  if (state_.queued().contains(id)) {
    if (Status st = state_.Apply(core::JobHold{id, hold}); !st.ok()) {
      spdlog::error("job {}: hold not applied: {}", id, st.ToString());
    }
  }
  it->second.waiting_for = deps_.Unmet(id);
  if (it->second.record.state == core::JobState::kPending) it->second.record.reason = hold;
  MarkDirtyLocked();
}

void ControllerImpl::NoteEndedLocked(core::JobId id, const core::JobRecord& rec) {
  recent_ends_[id] = RecentEnd{rec.state, rec.reason};
  recent_order_.push_back(id);
  if (recent_order_.size() > kRecentEnds) {
    recent_ends_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
}

void ControllerImpl::JobEndedLocked(const core::JobRecord& rec) {
  NoteEndedLocked(rec.id, rec);
  deps_.Remove(rec.id);
  std::vector<core::JobId> progressed;
  std::vector<core::DependencyGraph::Change> changes =
      deps_.Ended(rec.id, rec.state, rec.reason, &progressed);
  for (core::JobId id : progressed) RefreshWaiterLocked(id);
  for (const core::DependencyGraph::Change& c : changes) RefreshWaiterLocked(c.job);
  CancelDoomedLocked(changes);
}

void ControllerImpl::CancelDoomedLocked(const std::vector<core::DependencyGraph::Change>& doomed) {
  if (shutdown_) return;  // a restart dooms them again (RecoverDependenciesLocked)
  const int64_t now = clock_.Now().ms;
  Write write;
  for (const core::DependencyGraph::Change& c : doomed) {
    if (!c.doomed) continue;
    const core::JobRecord* cur = CurrentLocked(c.job);
    if (cur == nullptr || cur->state != core::JobState::kPending) {
      if (cur == nullptr) deps_.Remove(c.job);
      continue;  // gone, or ending already (e.g. cancelled by its user)
    }
    core::JobRecord rec = *cur;
    rec.state = core::JobState::kCancelled;
    rec.reason = c.reason;
    rec.end_ms = now;
    spdlog::info("job {}: cancelled, it can never run: {}", c.job, c.reason);
    write.jobs.push_back(std::move(rec));
  }
  if (!write.jobs.empty()) WriteLocked(std::move(write));
}

void ControllerImpl::RetryDoomedLocked() {
  std::vector<core::DependencyGraph::Change> again;
  for (core::DependencyGraph::Change& c : deps_.Doomed()) {
    if (!in_flight_.contains(c.job)) again.push_back(std::move(c));
  }
  CancelDoomedLocked(again);
}

Result<std::vector<ControllerImpl::DependencyTarget>> ControllerImpl::RecoveredTargetsLocked(
    const std::vector<Dependency>& deps) {
  std::vector<DependencyTarget> targets;
  for (const Dependency& dep : deps) {
    Result<core::JobRecord> target = active_.contains(dep.job)
                                         ? Result<core::JobRecord>(active_.at(dep.job).record)
                                         : store_.GetJob(dep.job);
    if (!target.ok()) {  // cannot happen (jobs are never deleted): it never succeeds
      target = core::JobRecord{};
      target->id = dep.job;
      target->state = core::JobState::kCancelled;
    }
    FG_ASSIGN_OR_RETURN(DependencyTarget t, ReadTarget(dep, *target));
    for (DependencyMember& m : t.members) {
      if (auto it = recent_ends_.find(m.id); it != recent_ends_.end()) {
        m.state = it->second.state;  // cancelled earlier in this recovery
        m.reason = it->second.reason;
      } else if (active_.contains(m.id)) {
        m.state = core::JobState::kRunning;
      }
    }
    targets.push_back(std::move(t));
  }
  return targets;
}

Status ControllerImpl::RecoverDependenciesLocked(store::WriteBatch& changed) {
  std::vector<core::JobId> waiting;
  for (const auto& [id, view] : active_) {
    const core::JobRecord& r = view.record;
    if (r.state == core::JobState::kPending && r.attempt == 0 && !r.spec.dependencies.empty()) {
      waiting.push_back(id);
    }
  }
  std::sort(waiting.begin(), waiting.end());  // dependencies have lower ids: they come first
  const int64_t now = clock_.Now().ms;
  for (core::JobId id : waiting) {
    const std::vector<Dependency> deps = active_.at(id).record.spec.dependencies;
    FG_ASSIGN_OR_RETURN(std::vector<DependencyTarget> targets, RecoveredTargetsLocked(deps));
    AddWaiterLocked(id, deps, targets);
    const std::string doomed = deps_.DoomReason(id);
    if (doomed.empty()) continue;
    core::JobRecord rec = active_.at(id).record;
    rec.state = core::JobState::kCancelled;
    rec.reason = doomed;
    rec.end_ms = now;
    spdlog::info("job {}: cancelled, it can never run: {}", id, rec.reason);
    deps_.Remove(id);
    FG_RETURN_IF_ERROR(state_.Apply(core::JobReleased{id}));
    active_.erase(id);
    queued_since_ms_.erase(id);
    NoteEndedLocked(id, rec);
    changed.jobs.push_back(std::move(rec));
  }
  for (core::JobId id : waiting) {
    if (deps_.Contains(id)) RefreshWaiterLocked(id);
  }
  return Status::Ok();
}

}  // namespace fastgpu::control
