// The agent-facing calls of ControllerImpl: register, report, logs, long polls, ticks, and the
// loss of silent nodes.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "control/controller_impl.h"
#include "control/job_outcome.h"
#include "core/model/gang.h"

namespace fastgpu::control {
namespace {

constexpr int64_t kMaxWaitMs = 30000;
constexpr size_t kMaxNodeName = 253;
constexpr int64_t kExpiryPeriodMs = 60 * 1000;

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

void ControllerImpl::ApplyNodeStatusLocked(const std::string& node, NodeEntry& entry,
                                           const NodeStatus& status) {
  const bool was_healthy = Healthy(entry);
  if (!entry.status || entry.status->isolates_tenants != status.isolates_tenants) {
    for (const std::string& w : status.warnings) spdlog::warn("node {}: isolation: {}", node, w);
  }
  entry.status = status;
  if (was_healthy == status.healthy) return;
  if (status.healthy) {
    spdlog::info("node {} is healthy again", node);
  } else {
    spdlog::warn("node {} is unhealthy ({}): no new work", node, status.health_message);
  }
  SyncReadinessLocked(entry);  // wakes the scheduler when it can take work again
}

Status ControllerImpl::SetNodeStatus(const std::string& node, const NodeStatus& status) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return UnknownNode(node);
  ApplyNodeStatusLocked(node, it->second, status);
  // Against the newest record (a change may be in flight), so the change goes out once.
  core::NodeRecord record = *CurrentNodeLocked(node);
  if (record.spec.isolates_tenants != status.isolates_tenants && !shutdown_) {
    // Committed like any node change; ApplyNodeLocked updates the scheduler's view, which may
    // keep such a node to one tenant (QueueOptions::single_tenant_unisolated). A failed commit
    // is retried by the next report, which differs again.
    record.spec.isolates_tenants = status.isolates_tenants;
    Write write;
    write.nodes.push_back(std::move(record));
    WriteLocked(std::move(write));
  }
  return Status::Ok();
}

void ControllerImpl::RegisterNode(core::NodeRecord node, std::optional<NodeStatus> status,
                                  StatusDone done) {
  if (Status st = ValidateNode(node); !st.ok()) return done(st);
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) {
    post.Add([done] { done(Unavailable("the server is shutting down")); });
    return;
  }
  const int64_t now = clock_.Now().ms;
  const core::NodeRecord* existing = CurrentNodeLocked(node.spec.name);
  node.registered_ms = existing != nullptr ? existing->registered_ms : now;
  // What an operator said survives an agent restart.
  node.cordoned = existing != nullptr && existing->cordoned;
  node.draining = existing != nullptr && existing->draining;
  node.last_seen_ms = now;
  if (status) node.spec.isolates_tenants = status->isolates_tenants;
  Write write;
  write.nodes.push_back(std::move(node));
  write.nodes_alive = true;
  write.node_status = std::move(status);
  write.done = std::move(done);
  WriteLocked(std::move(write));
}

void ControllerImpl::Report(const std::string& node, std::vector<AttemptReport> attempts,
                            ReportDone done) {
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  auto node_it = nodes_.find(node);
  if (node_it == nodes_.end()) {
    post.Add([done, node] { done(UnknownNode(node)); });
    return;
  }
  NodeEntry& entry = node_it->second;
  const int64_t now = clock_.Now().ms;
  entry.record.last_seen_ms = now;
  if (!entry.ready) {
    spdlog::info("node {} is back", node);
    entry.ready = true;
    SyncReadinessLocked(entry);
  }
  // New versions of the records, from the newest ones (a change may be in flight).
  std::map<core::JobId, core::JobRecord> changed;
  std::vector<AttemptKey> acks;
  std::set<core::JobId> reported;
  Write write;
  for (const AttemptReport& r : attempts) {
    const core::JobRecord* cur = CurrentLocked(r.job);
    const bool expected = cur != nullptr && cur->attempt == r.attempt && cur->placement &&
                          core::RankOn(*cur->placement, node) >= 0 &&
                          !core::IsTerminal(cur->state);
    if (!expected) {  // terminal, unknown, moved or stale: nothing to commit
      if (r.exited) acks.push_back(AttemptKey{r.job, r.attempt});
      continue;
    }
    core::JobRecord& rec = changed.try_emplace(r.job, *cur).first->second;
    reported.insert(r.job);
    if (core::WorldSize(*rec.placement) > 1) {  // one rank of a multi-node job
      bool ack = false;
      GangReportLocked(node, r, now, rec, &ack, post);
      if (ack) acks.push_back(AttemptKey{r.job, r.attempt});
      continue;
    }
    if (r.exited) {
      // When the agent saw the processes end: where a preempted attempt's metering stops.
      write.stopped_ms[r.job] = r.finished_ms > 0 ? std::min(r.finished_ms, now) : now;
      if (rec.preempting_for != 0 && !rec.cancel_requested) {
        ApplyPreempted(rec);
      } else if (r.lost) {
        ApplyNodeLost(node, now, rec);
      } else {
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
    const core::JobRecord* cur = CurrentLocked(id);
    if (cur != nullptr && cur->preempting_for != 0 && !cur->cancel_requested &&
        cur->state == core::JobState::kScheduled && !reported.contains(id)) {
      ApplyPreempted(changed.try_emplace(id, *cur).first->second);
    }
  }
  GangAbsentLocked(entry, reported, now, changed);
  for (auto& [id, rec] : changed) {
    if (!(rec == *CurrentLocked(id))) write.jobs.push_back(std::move(rec));
  }
  if (write.jobs.empty()) {
    post.Add([done, acks = std::move(acks)] { done(acks); });
    return;
  }
  // Nothing is acked before its end is committed: on failure the agent reports again.
  write.done = [done, acks = std::move(acks)](Status st) {
    if (!st.ok()) return done(st);
    done(acks);
  };
  WriteLocked(std::move(write));
}

Result<int64_t> ControllerImpl::AppendLog(const std::string& node, core::JobId job, int32_t attempt,
                                          LogStream stream, int64_t offset, std::string_view data,
                                          int64_t* size_out) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!nodes_.contains(node)) return UnknownNode(node);
  }
  FG_ASSIGN_OR_RETURN(JobView view, FindVisible(Caller{"", "admin", ""}, job));
  if (attempt < 1 || attempt > view.record.attempt) {
    return NotFound("job " + std::to_string(job) + " has no attempt " + std::to_string(attempt),
                    "attempt");
  }
  // A multi-node job keeps rank 0's logs; the other ranks' bytes are taken and dropped (they
  // stay in the attempt folder on their node).
  const std::optional<core::Placement>& p = view.record.placement;
  if (p && core::WorldSize(*p) > 1 && p->node != node) {
    if (size_out != nullptr) *size_out = offset + static_cast<int64_t>(data.size());
    return offset + static_cast<int64_t>(data.size());
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

void ControllerImpl::CheckNodesLocked(int64_t now, Deferred& post) {
  Write write;
  for (auto& [name, entry] : nodes_) {
    if (!entry.ready || now - entry.record.last_seen_ms <= options_.node_grace_ms) continue;
    entry.ready = false;
    SyncReadinessLocked(entry);
    if (nodes_lost_) nodes_lost_->Inc();
    spdlog::warn("node {} is lost: no report for {} ms; {} job(s) on it", name,
                 now - entry.record.last_seen_ms, entry.jobs.size());
    // Its attempts are lost: back to the queue within the jobs' retries, else failed. When the
    // node returns, its desired set no longer lists them and its agent stops them.
    for (core::JobId id : entry.jobs) {
      const core::JobRecord* cur = CurrentLocked(id);
      // A multi-node job is lost with any of its ranks' nodes.
      if (cur == nullptr || !cur->placement || core::RankOn(*cur->placement, name) < 0 ||
          core::IsTerminal(cur->state)) {
        continue;
      }
      core::JobRecord rec = *cur;
      ApplyNodeLost(name, now, rec);
      // Metered up to the last report that said it ran: no report will close it.
      write.stopped_ms[id] = entry.record.last_seen_ms;
      write.jobs.push_back(std::move(rec));
    }
  }
  (void)post;
  if (!write.jobs.empty()) WriteLocked(std::move(write));
}

void ControllerImpl::Tick() {
  EnforceBudgets();  // reads the store: before taking mu_
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_.Now().ms;
  for (auto& [name, entry] : nodes_) {
    if (entry.waiters.empty()) continue;
    auto expired = std::stable_partition(entry.waiters.begin(), entry.waiters.end(),
                                         [now](const Waiter& w) { return w.deadline_ms > now; });
    if (expired == entry.waiters.end()) continue;
    DesiredSet set = DesiredLocked(entry);
    for (auto w = expired; w != entry.waiters.end(); ++w) {
      post.Add([done = std::move(w->done), set] { done(set); });
    }
    entry.waiters.erase(expired, entry.waiters.end());
  }
  if (shutdown_) return;
  CheckNodesLocked(now, post);
  RetryDoomedLocked();
  if (sched_dirty_ && !sched_in_flight_) sched_cv_.notify_one();
  if (now >= next_expiry_ms_) {
    next_expiry_ms_ = now + kExpiryPeriodMs;
    const int64_t before = now - options_.idempotency_ttl_ms;
    idempotency_.Expire(before);
    Write write;
    write.extra.expire_idempotency_before_ms = before;
    if (before > 0) WriteLocked(std::move(write));
  }
}

void ControllerImpl::Shutdown() {
  {
    Deferred post;
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
    for (auto& [name, entry] : nodes_) {
      if (entry.waiters.empty()) continue;
      DesiredSet set = DesiredLocked(entry);
      for (Waiter& w : entry.waiters) post.Add([done = std::move(w.done), set] { done(set); });
      entry.waiters.clear();
    }
    post.AddAll(logs_->EndAll());
    sched_cv_.notify_all();
    idle_cv_.notify_all();
  }
  if (committer_) committer_->Flush();  // what was accepted is committed before we return
}

}  // namespace fastgpu::control
