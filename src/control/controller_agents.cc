// The agent-facing calls of ControllerImpl: register, report, logs, long polls, ticks.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "control/controller_impl.h"
#include "control/job_outcome.h"

namespace fastgpu::control {
namespace {

constexpr int64_t kMaxWaitMs = 30000;
constexpr size_t kMaxNodeName = 253;

Status ValidateNode(core::NodeRecord& node) {
  const std::string& name = node.spec.name;
  if (name.empty() || name.size() > kMaxNodeName) {
    return InvalidArgument("node name must be 1..253 characters", "name");
  }
  for (char c : name) {
    if (c <= ' ' || c == '/' || c == 0x7f) {
      return InvalidArgument("node name must not contain spaces, '/' or control characters",
                             "name");
    }
  }
  if (node.spec.cpu_milli < 0) return InvalidArgument("cpu_milli must be >= 0", "cpu_milli");
  if (node.spec.memory_mib < 0) return InvalidArgument("memory_mib must be >= 0", "memory_mib");
  std::sort(node.spec.devices.begin(), node.spec.devices.end(),
            [](const core::DeviceSpec& a, const core::DeviceSpec& b) { return a.index < b.index; });
  for (size_t i = 0; i < node.spec.devices.size(); ++i) {
    const core::DeviceSpec& d = node.spec.devices[i];
    if (d.index < 0) return InvalidArgument("device index must be >= 0", "devices");
    if (d.memory_mib < 0) return InvalidArgument("device memory_mib must be >= 0", "devices");
    if (i > 0 && node.spec.devices[i - 1].index == d.index) {
      return InvalidArgument("device index " + std::to_string(d.index) + " appears twice",
                             "devices");
    }
  }
  return Status::Ok();
}

Status UnknownNode(const std::string& node) {
  return NotFound("node " + node + " is not registered", "node");
}

}  // namespace

bool ControllerImpl::Healthy(const NodeEntry& entry) {
  return !entry.status || entry.status->healthy;
}

Status ControllerImpl::SetNodeStatus(const std::string& node, const NodeStatus& status) {
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return UnknownNode(node);
  NodeEntry& entry = it->second;
  const bool was_healthy = Healthy(entry);
  if (!entry.status || entry.status->isolates_tenants != status.isolates_tenants) {
    for (const std::string& w : status.warnings) spdlog::warn("node {}: isolation: {}", node, w);
  }
  entry.status = status;
  if (was_healthy == status.healthy) return Status::Ok();
  if (status.healthy) {
    spdlog::info("node {} is healthy again", node);
  } else {
    spdlog::warn("node {} is unhealthy ({}): no new work", node, status.health_message);
  }
  if (entry.ready) {
    FG_RETURN_IF_ERROR(state_.Apply(core::NodeReadiness{node, status.healthy}));
    if (status.healthy) ScheduleLocked(post);
  }
  return Status::Ok();
}

Status ControllerImpl::RegisterNode(core::NodeRecord node) {
  FG_RETURN_IF_ERROR(ValidateNode(node));
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_.Now().ms;
  auto existing = nodes_.find(node.spec.name);
  node.registered_ms = existing != nodes_.end() ? existing->second.record.registered_ms : now;
  node.last_seen_ms = now;
  FG_RETURN_IF_ERROR(store_.UpsertNode(node));
  FG_RETURN_IF_ERROR(state_.Apply(core::NodeUpserted{node.spec}));  // ready again
  if (existing != nodes_.end() && !Healthy(existing->second)) {
    state_.Apply(core::NodeReadiness{node.spec.name, false}).IgnoreError();  // still unhealthy
  }
  const bool fresh = existing == nodes_.end();
  NodeEntry& entry = nodes_[node.spec.name];
  if (fresh) entry.version = version_base_;
  entry.record = std::move(node);
  entry.ready = true;
  BumpLocked(entry, post);
  ScheduleLocked(post);
  return Status::Ok();
}

Result<std::vector<AttemptKey>> ControllerImpl::Report(const std::string& node,
                                                       const std::vector<AttemptReport>& attempts) {
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  auto node_it = nodes_.find(node);
  if (node_it == nodes_.end()) return UnknownNode(node);
  NodeEntry& entry = node_it->second;
  const int64_t now = clock_.Now().ms;
  entry.record.last_seen_ms = now;
  bool reschedule = false;
  if (!entry.ready) {
    if (Status st = state_.Apply(core::NodeReadiness{node, Healthy(entry)}); st.ok()) {
      entry.ready = true;
      reschedule = true;
    }
  }

  // Work on copies; memory follows only after the commit.
  std::map<core::JobId, core::JobRecord> changed;
  std::vector<AttemptKey> acks;
  std::set<core::JobId> reported;
  for (const AttemptReport& r : attempts) {
    auto it = active_.find(r.job);
    const bool expected = it != active_.end() && it->second.record.attempt == r.attempt &&
                          it->second.record.placement && it->second.record.placement->node == node;
    if (!expected) {  // terminal, unknown or stale: nothing to commit
      if (r.exited) acks.push_back(AttemptKey{r.job, r.attempt});
      continue;
    }
    core::JobRecord& rec = changed.try_emplace(r.job, it->second.record).first->second;
    reported.insert(r.job);
    if (r.exited) {
      if (rec.preempting_for != 0 && !rec.cancel_requested) {
        ApplyPreempted(rec);
      } else if (!core::IsTerminal(rec.state)) {
        ApplyExited(r, now, rec);
      }
      acks.push_back(AttemptKey{r.job, r.attempt});
    } else {
      ApplyStarted(r, now, rec);
    }
  }
  // A victim the agent never started (still scheduled, absent from its full report) has
  // nothing to stop: it goes back to the queue at once.
  for (core::JobId id : entry.jobs) {
    const core::JobRecord& rec = active_.at(id).record;
    if (rec.preempting_for != 0 && !rec.cancel_requested &&
        rec.state == core::JobState::kScheduled && !reported.contains(id)) {
      ApplyPreempted(changed.try_emplace(id, rec).first->second);
    }
  }
  std::vector<core::JobRecord> updates;
  for (auto& [id, rec] : changed) {
    if (!(rec == active_.at(id).record)) updates.push_back(std::move(rec));
  }
  if (!updates.empty()) {
    if (Status st = store_.UpdateJobs(updates); !st.ok()) {
      spdlog::warn("report from {}: cannot commit {} jobs: {}", node, updates.size(),
                   st.ToString());
      return st;  // nothing acked: the agent reports again
    }
  }
  for (core::JobRecord& rec : updates) {
    const core::JobId id = rec.id;
    const bool ended = core::IsTerminal(rec.state);
    const bool requeued = rec.state == core::JobState::kPending;
    active_.at(id).record = std::move(rec);
    if (ended) {
      ReleaseLocked(id, post);
      reschedule = true;
    } else if (requeued) {
      RequeueLocked(id, post);
      reschedule = true;
    }
  }
  if (reschedule) ScheduleLocked(post);
  return acks;
}

Result<int64_t> ControllerImpl::AppendLog(const std::string& node, core::JobId job, int32_t attempt,
                                          LogStream stream, int64_t offset, std::string_view data,
                                          int64_t* size_out) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!nodes_.contains(node)) return UnknownNode(node);
    FG_ASSIGN_OR_RETURN(JobView view, ViewLocked(job));
    if (attempt < 1 || attempt > view.record.attempt) {
      return NotFound("job " + std::to_string(job) + " has no attempt " + std::to_string(attempt),
                      "attempt");
    }
  }
  // Outside mu_: file I/O, and followers are called on this thread.
  return logs_->Append(job, attempt, stream, offset, data, size_out);
}

void ControllerImpl::WatchDesired(const std::string& node, int64_t version, int64_t wait_ms,
                                  DesiredCallback done) {
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(node);
  if (it == nodes_.end()) {
    post.Add([done = std::move(done), node] { done(UnknownNode(node)); });
    return;
  }
  NodeEntry& entry = it->second;
  if (version != entry.version || wait_ms <= 0 || shutdown_) {
    post.Add([done = std::move(done), set = DesiredLocked(entry)] { done(set); });
    return;
  }
  const int64_t deadline = clock_.Now().ms + std::min(wait_ms, kMaxWaitMs);
  entry.waiters.push_back(Waiter{deadline, std::move(done)});
}

void ControllerImpl::Tick() {
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_.Now().ms;
  for (auto& [name, entry] : nodes_) {
    if (!entry.waiters.empty()) {
      auto expired = std::stable_partition(entry.waiters.begin(), entry.waiters.end(),
                                           [now](const Waiter& w) { return w.deadline_ms > now; });
      if (expired != entry.waiters.end()) {
        DesiredSet set = DesiredLocked(entry);
        for (auto w = expired; w != entry.waiters.end(); ++w) {
          post.Add([done = std::move(w->done), set] { done(set); });
        }
        entry.waiters.erase(expired, entry.waiters.end());
      }
    }
    if (entry.ready && now - entry.record.last_seen_ms > options_.node_grace_ms) {
      if (Status st = state_.Apply(core::NodeReadiness{name, false}); st.ok()) {
        entry.ready = false;
        spdlog::warn("node {} is not ready: no report for {} ms", name,
                     now - entry.record.last_seen_ms);
      }
    }
  }
  if (schedule_retry_) ScheduleLocked(post);
}

void ControllerImpl::Shutdown() {
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  for (auto& [name, entry] : nodes_) {
    if (entry.waiters.empty()) continue;
    DesiredSet set = DesiredLocked(entry);
    for (Waiter& w : entry.waiters) post.Add([done = std::move(w.done), set] { done(set); });
    entry.waiters.clear();
  }
  post.AddAll(logs_->EndAll());
}

}  // namespace fastgpu::control
