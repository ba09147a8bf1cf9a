// ControllerImpl: handing changes to the writer, and applying them to memory once committed.
#include <spdlog/spdlog.h>

#include <set>
#include <string>
#include <utility>

#include "control/controller_impl.h"
#include "control/job_outcome.h"
#include "control/job_events.h"
#include "control/metering.h"
#include "core/model/gang.h"

namespace fastgpu::control {
namespace {

enum class Where { kNone, kQueued, kBound };

Where WhereIs(const core::JobRecord& r) {
  if (r.state == core::JobState::kPending) return Where::kQueued;
  if ((r.state == core::JobState::kScheduled || r.state == core::JobState::kRunning) &&
      r.placement.has_value()) {
    return Where::kBound;
  }
  return Where::kNone;
}

void Check(const Status& st, core::JobId id, const char* what) {
  if (!st.ok()) spdlog::error("job {}: {} not applied: {}", id, what, st.ToString());
}

// The node of every rank of `p` (one for a single-node job) goes into `out`.
void AddRankNodes(const core::Placement& p, std::set<std::string>& out) {
  for (const core::Placement* part : core::Ranks(p)) out.insert(part->node);
}

}  // namespace

const core::JobRecord* ControllerImpl::CurrentLocked(core::JobId id) const {
  if (auto it = in_flight_.find(id); it != in_flight_.end()) return &it->second.record;
  if (auto it = active_.find(id); it != active_.end()) return &it->second.record;
  return nullptr;
}

const core::NodeRecord* ControllerImpl::CurrentNodeLocked(const std::string& name) const {
  if (auto it = nodes_in_flight_.find(name); it != nodes_in_flight_.end()) {
    return &it->second.first;
  }
  if (auto it = nodes_.find(name); it != nodes_.end()) return &it->second.record;
  return nullptr;
}

void ControllerImpl::WriteLocked(Write write) {
  const uint64_t seq = ++write_seq_;
  const int64_t now = clock_.Now().ms;
  store::WriteBatch batch = std::move(write.extra);
  write.extra = store::WriteBatch{};
  for (const core::JobRecord& rec : write.jobs) {
    const core::JobRecord* before = CurrentLocked(rec.id);
    for (store::JobEvent& e : EventsForChange(before, rec, now)) {
      batch.events.push_back(std::move(e));
    }
    // Metering commits with the change it comes from (metering.h).
    if (before != nullptr && (before->placement || rec.placement)) {
      const core::NodeRecord* node =
          CurrentNodeLocked(before->placement ? before->placement->node : rec.placement->node);
      auto stopped = write.stopped_ms.find(rec.id);
      if (std::optional<store::UsageRecord> u =
              UsageChange(*before, rec, stopped != write.stopped_ms.end() ? stopped->second : now,
                          node != nullptr ? &node->spec : nullptr)) {
        batch.usage.push_back(std::move(*u));
      }
    }
    in_flight_[rec.id] = InFlight{rec, seq};
  }
  for (const core::NodeRecord& node : write.nodes) nodes_in_flight_[node.spec.name] = {node, seq};
  batch.jobs = write.jobs;
  batch.nodes = write.nodes;
  ++writes_in_flight_;
  const uint64_t epoch = epoch_;
  committer_->Queue(std::move(batch), epoch,
                    [this, seq, epoch, write = std::move(write)](Status status) mutable {
                      OnCommitted(seq, epoch, std::move(write), std::move(status));
                    });
}

void ControllerImpl::OnCommitted(uint64_t seq, uint64_t epoch, Write write, Status status) {
  Deferred& post = group_post_;  // runs once the writer released mu_
  --writes_in_flight_;
  if (!status.ok()) {
    if (epoch == epoch_) {
      // Everything in flight built on this write or was queued with it: it all fails.
      spdlog::warn("store commit failed: {}; {} changes in flight are dropped", status.ToString(),
                   in_flight_.size());
      ++epoch_;
      for (const auto& [id, f] : in_flight_) {
        if (!active_.contains(id)) deps_.Remove(id);  // a submit that never landed waits for none
      }
      in_flight_.clear();
      nodes_in_flight_.clear();
    }
    if (write.from_scheduler) {
      sched_in_flight_ = false;
      MarkDirtyLocked();  // Tick() retries too when this one fails again
    }
  } else {
    for (core::JobRecord& rec : write.jobs) {
      auto it = in_flight_.find(rec.id);
      if (it != in_flight_.end() && it->second.seq == seq) in_flight_.erase(it);
      ApplyCommittedLocked(std::move(rec), post);
    }
    for (core::NodeRecord& node : write.nodes) {
      auto it = nodes_in_flight_.find(node.spec.name);
      if (it != nodes_in_flight_.end() && it->second.second == seq) nodes_in_flight_.erase(it);
      const std::string name = node.spec.name;
      ApplyNodeLocked(std::move(node), write.nodes_alive, post);
      if (write.node_status) ApplyNodeStatusLocked(name, nodes_[name], *write.node_status);
    }
    if (write.from_scheduler) {
      sched_in_flight_ = false;
      sched_done_generation_ = std::max(sched_done_generation_, write.covers_generation);
      // A pass waiting for this one's commit runs from AfterGroupLocked().
    }
  }
  if (write.done) post.Add([done = std::move(write.done), status] { done(status); });
  if (write.view_done) {
    std::optional<JobView> view;
    if (status.ok()) view = ActiveViewLocked(write.view_of);
    if (!status.ok() || view) {
      post.Add([done = std::move(write.view_done), status, view = std::move(view)]() mutable {
        if (!status.ok()) return done(status);
        done(std::move(*view));
      });
    } else {  // ended already: the store has it
      post.Add([this, done = std::move(write.view_done), id = write.view_of] {
        done(FindVisible(Caller{"", "admin", ""}, id));
      });
    }
  }
  idle_cv_.notify_all();
}

void ControllerImpl::ApplyCommittedLocked(core::JobRecord rec, Deferred& post) {
  const core::JobId id = rec.id;
  const int64_t now = clock_.Now().ms;
  auto it = active_.find(id);
  const core::JobRecord* old = it != active_.end() ? &it->second.record : nullptr;
  const Where before = old != nullptr ? WhereIs(*old) : Where::kNone;
  const Where after = WhereIs(rec);
  const bool same_binding = before == Where::kBound && after == Where::kBound &&
                            old->attempt == rec.attempt &&
                            old->placement->node == rec.placement->node;
  std::set<std::string> bump;  // nodes whose desired set changes; bumped once memory is current
  bool dirty = false;
  bool arrival = false;  // the only change for the scheduler: a job joined the queue
  if (before == Where::kBound && !same_binding) {
    UnbindLocked(*old);  // leaves its node(s); capacity frees up
    AddRankNodes(*old->placement, bump);
    dirty = true;
  } else if (before == Where::kQueued && after != Where::kQueued && after != Where::kBound) {
    Check(state_.Apply(core::JobReleased{id}), id, "leaving the queue");
    dirty = true;
  }
  const bool in_queue = before == Where::kQueued;
  if (after == Where::kQueued && !in_queue) {
    const core::QueuedJob queued = QueuedLocked(rec);  // with its hold: an unmet dependency
    if (!queued.hold.empty() && rec.reason.empty()) rec.reason = queued.hold;
    Check(state_.Apply(core::JobQueued{queued}), id, "queueing");
    queued_since_ms_[id] = now;
    arrival = !dirty;
  }
  if (after == Where::kBound && !same_binding) {
    if (!in_queue) Check(state_.Apply(core::JobQueued{QueuedLocked(rec)}), id, "queueing");
    if (queue_wait_ != nullptr && queued_since_ms_.contains(id)) {
      queue_wait_->Observe(static_cast<double>(now - queued_since_ms_[id]) / 1000.0);
    } else if (queue_wait_ != nullptr && before == Where::kNone) {
      queue_wait_->Observe(0.0);  // placed at submit (PlaceAtSubmitLocked)
    }
    Check(BindLocked(rec, now), id, "binding");
    AddRankNodes(*rec.placement, bump);
  } else if (same_binding) {
    if (rec.preempting_for != 0 && old->preempting_for == 0) {
      spdlog::info("job {}: preempted for job {}", id, rec.preempting_for);
      Check(state_.Apply(core::JobPreempting{id, rec.preempting_for}), id, "preemption");
      AddRankNodes(*rec.placement, bump);
    }
    if (rec.cancel_requested && !old->cancel_requested) AddRankNodes(*rec.placement, bump);
  }
  if (after != Where::kQueued) queued_since_ms_.erase(id);
  if (!same_binding) gangs_.Forget(id);  // a multi-node attempt's rank exits end with it
  if (core::IsTerminal(rec.state)) {
    ended_counts_[rec.state] += 1;
    JobEndedLocked(rec);  // its dependents: released, or cancelled (controller_deps.cc)
    active_.erase(id);
    post.AddAll(logs_->MarkEnded(id));
  } else {
    JobView& view = active_[id];
    if (after != Where::kQueued) view.queue_position = 0;
    view.waiting_for = deps_.Unmet(id);
    view.record = std::move(rec);
  }
  for (const std::string& name : bump) {
    auto node = nodes_.find(name);
    if (node != nodes_.end()) BumpLocked(node->second, post);
  }
  if (dirty || arrival) MarkDirtyLocked(/*arrival=*/!dirty);
}

void ControllerImpl::ApplyNodeLocked(core::NodeRecord rec, bool alive, Deferred& post) {
  const std::string name = rec.spec.name;
  auto existing = nodes_.find(name);
  const bool fresh = existing == nodes_.end();
  const bool spec_changed = fresh || !(existing->second.record.spec == rec.spec);
  NodeEntry& entry = nodes_[name];
  if (fresh) entry.version = version_base_;
  if (!fresh) rec.last_seen_ms = std::max(rec.last_seen_ms, entry.record.last_seen_ms);
  entry.record = std::move(rec);
  if (alive) {
    entry.ready = true;
    entry.record.last_seen_ms = std::max(entry.record.last_seen_ms, clock_.Now().ms);
  }
  if (spec_changed) {
    if (Status st = state_.Apply(core::NodeUpserted{entry.record.spec}); !st.ok()) {
      spdlog::error("node {}: not applied: {}", name, st.ToString());
    }
  }
  SyncReadinessLocked(entry);
  BumpLocked(entry, post);
  MarkDirtyLocked();
}

Status ControllerImpl::BindLocked(const core::JobRecord& rec, int64_t now_ms) {
  std::vector<NodeEntry*> entries;  // every rank's node (one for a single-node job)
  for (const core::Placement* part : core::Ranks(*rec.placement)) {
    auto node = nodes_.find(part->node);
    if (node == nodes_.end()) return NotFound("node " + part->node + " is not registered");
    entries.push_back(&node->second);
  }
  const int64_t bound_ms = rec.start_ms > 0 ? rec.start_ms : now_ms;
  FG_RETURN_IF_ERROR(state_.Apply(core::JobBound{rec.id, *rec.placement, bound_ms}));
  if (rec.preempting_for != 0) {
    FG_RETURN_IF_ERROR(state_.Apply(core::JobPreempting{rec.id, rec.preempting_for}));
  }
  for (NodeEntry* entry : entries) entry->jobs.insert(rec.id);
  return Status::Ok();
}

void ControllerImpl::UnbindLocked(const core::JobRecord& old) {
  Check(state_.Apply(core::JobReleased{old.id}), old.id, "release");
  for (const core::Placement* part : core::Ranks(*old.placement)) {
    auto node = nodes_.find(part->node);
    if (node != nodes_.end()) node->second.jobs.erase(old.id);
  }
}

void ControllerImpl::BumpRankNodesLocked(const core::Placement& placement, Deferred& post) {
  for (const core::Placement* part : core::Ranks(placement)) {
    auto node = nodes_.find(part->node);
    if (node != nodes_.end()) BumpLocked(node->second, post);
  }
}

std::string ControllerImpl::NodeAddressLocked(const std::string& node) const {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return node;
  const auto& labels = it->second.record.spec.labels;
  auto label = labels.find(kNodeAddressLabel);
  return label == labels.end() || label->second.empty() ? node : label->second;
}

void ControllerImpl::SyncReadinessLocked(NodeEntry& node) {
  const bool schedulable = node.ready && !node.record.cordoned && Healthy(node);
  const core::NodeState* in_state = state_.nodes().Get(node.record.spec.name);
  if (in_state == nullptr || in_state->ready == schedulable) return;
  if (Status st = state_.Apply(core::NodeReadiness{node.record.spec.name, schedulable}); !st.ok()) {
    spdlog::error("node {}: readiness not applied: {}", node.record.spec.name, st.ToString());
  }
  if (schedulable) MarkDirtyLocked();
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

// Committed records only: an agent never starts what a restart would not know about.
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
    const std::string& name = node.record.spec.name;
    std::optional<core::Placement> part = core::PartOn(*rec.placement, name);
    if (!part) continue;
    DesiredAttempt a{rec.id, rec.attempt, rec.tenant, rec.spec, std::move(*part)};
    if (core::WorldSize(*rec.placement) > 1) {  // one rank of a multi-node job
      if (gangs_.Failed(id)) continue;          // a rank failed: every other rank stops
      a.rank = core::RankOn(*rec.placement, name);
      a.world_size = core::WorldSize(*rec.placement);
      a.master_addr = NodeAddressLocked(rec.placement->node);
      a.master_port = rec.placement->port;
    }
    set.attempts.push_back(std::move(a));
  }
  return set;
}

void ControllerImpl::MarkDirtyLocked(bool arrival) {
  sched_dirty_ = true;
  if (!arrival) sched_other_change_ = true;
  ++sched_generation_;
  // During the writer's callbacks, AfterGroupLocked() runs the pass or wakes the thread.
  if (!sched_in_flight_ && !in_writer_callbacks_) sched_cv_.notify_one();
}

}  // namespace fastgpu::control
