#include "core/state.h"

#include <algorithm>
#include <set>
#include <string>
#include <type_traits>
#include <utility>

#include "core/capacity.h"
#include "core/model/gang.h"

namespace fastgpu::core {
namespace {

Status ValidateNodeSpec(const NodeSpec& spec) {
  if (spec.name.empty()) return InvalidArgument("node name is empty", "name");
  if (spec.cpu_milli < 0) return InvalidArgument("node cpu_milli is negative", "cpu_milli");
  if (spec.memory_mib < 0) return InvalidArgument("node memory_mib is negative", "memory_mib");
  std::set<int32_t> seen;
  for (const DeviceSpec& d : spec.devices) {
    if (!seen.insert(d.index).second) {
      return InvalidArgument("device index " + std::to_string(d.index) + " appears twice",
                             "devices");
    }
    if (d.memory_mib < 0) return InvalidArgument("device memory_mib is negative", "devices");
  }
  return Status::Ok();
}

// Checks that `p` fits the free capacity of `node`: every grant names a distinct device of the
// node and stays within that device's compute and memory, and host cpu/memory stay within spec.
Status ValidateBind(const Placement& p, const NodeState& node) {
  if (p.cpu_milli < 0 || p.memory_mib < 0) {
    return InvalidArgument("placement has negative host resources", "placement");
  }
  const NodeSpec& spec = node.spec();
  if (node.used_cpu_milli + p.cpu_milli > spec.cpu_milli) {
    return InvalidArgument("bind exceeds cpu of node " + spec.name, "cpu_milli");
  }
  if (node.used_memory_mib + p.memory_mib > spec.memory_mib) {
    return InvalidArgument("bind exceeds memory of node " + spec.name, "memory_mib");
  }
  // Strings are built only on failure: this runs on every bind.
  auto where = [&spec](int32_t index) {
    return "device " + std::to_string(index) + " of node " + spec.name;
  };
  for (size_t i = 0; i < p.devices.size(); ++i) {
    const DeviceGrant& g = p.devices[i];
    const int pos = FindDevice(spec, g.index);
    if (pos < 0) return InvalidArgument("no " + where(g.index), "devices");
    for (size_t k = 0; k < i; ++k) {
      if (p.devices[k].index == g.index) {
        return InvalidArgument(where(g.index) + " granted twice", "devices");
      }
    }
    if (g.slice.milli < 0 || g.slice.memory_mib < 0) {
      return InvalidArgument("negative slice on " + where(g.index), "devices");
    }
    const Slice& used = node.used[static_cast<size_t>(pos)];
    if (used.milli + g.slice.milli > kWholeGpuMilli ||
        used.memory_mib + g.slice.memory_mib > spec.devices[static_cast<size_t>(pos)].memory_mib) {
      return InvalidArgument("bind exceeds capacity of " + where(g.index), "devices");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ClusterState::Apply(const Event& event) {
  return std::visit(
      [this](const auto& e) -> Status {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, NodeUpserted>) return ApplyNodeUpserted(e);
        if constexpr (std::is_same_v<T, NodeReadiness>) return ApplyNodeReadiness(e);
        if constexpr (std::is_same_v<T, JobQueued>) return ApplyJobQueued(e);
        if constexpr (std::is_same_v<T, JobBound>) return ApplyJobBound(e);
        if constexpr (std::is_same_v<T, JobPreempting>) return ApplyJobPreempting(e);
        if constexpr (std::is_same_v<T, JobReleased>) return ApplyJobReleased(e);
        if constexpr (std::is_same_v<T, JobHold>) return ApplyJobHold(e);
      },
      event);
}

// A re-registered node becomes ready again and keeps what is used on it.
Status ClusterState::ApplyNodeUpserted(const NodeUpserted& e) {
  FG_RETURN_IF_ERROR(ValidateNodeSpec(e.spec));
  nodes_.Upsert(e.spec);
  nodes_.SetReady(nodes_.Find(e.spec.name), true);
  return Status::Ok();
}

Status ClusterState::ApplyNodeReadiness(const NodeReadiness& e) {
  const size_t slot = nodes_.Find(e.name);
  if (slot == NodePool::kNone) return NotFound("no node named '" + e.name + "'", "node");
  nodes_.SetReady(slot, e.ready);
  return Status::Ok();
}

Status ClusterState::ApplyJobQueued(const JobQueued& e) {
  const JobId id = e.job.id;
  if (queued_.count(id) > 0 || bound_.count(id) > 0) {
    return AlreadyExists("job " + std::to_string(id) + " is already queued or bound");
  }
  queued_.emplace(id, e.job);
  return Status::Ok();
}

Status ClusterState::ApplyJobHold(const JobHold& e) {
  auto it = queued_.find(e.id);
  if (it == queued_.end()) return NotFound("job " + std::to_string(e.id) + " is not queued");
  it->second.hold = e.hold;
  return Status::Ok();
}

Status ClusterState::ApplyJobBound(const JobBound& e) {
  auto job = [&e] { return "job " + std::to_string(e.id); };  // built only on failure
  if (bound_.count(e.id) > 0) return AlreadyExists(job() + " is already bound");
  auto queued = queued_.find(e.id);
  if (queued == queued_.end()) return NotFound(job() + " is not queued", "id");
  // Every rank (one for a single-node job) on a distinct known node, within its capacity.
  const std::vector<const Placement*> ranks = Ranks(e.placement);
  std::vector<size_t> slots;
  for (const Placement* part : ranks) {
    const size_t slot = nodes_.Find(part->node);
    if (slot == NodePool::kNone) {
      return InvalidArgument("bind of " + job() + " to unknown node '" + part->node + "'",
                             "node");
    }
    if (!part->peers.empty() && part != ranks.front()) {
      return InvalidArgument("a rank of " + job() + " has peers of its own", "placement");
    }
    if (std::find(slots.begin(), slots.end(), slot) != slots.end()) {
      return InvalidArgument("two ranks of " + job() + " on node " + part->node, "placement");
    }
    FG_RETURN_IF_ERROR(ValidateBind(*part, nodes_.at(slot)));
    slots.push_back(slot);
  }
  for (size_t i = 0; i < ranks.size(); ++i) nodes_.AddUsage(slots[i], *ranks[i], +1);
  running_.emplace(e.id, BoundJob{std::move(queued->second), e.placement, e.bound_ms, 0, false});
  queued_.erase(queued);
  bound_.emplace(e.id, e.placement);
  return Status::Ok();
}

Status ClusterState::ApplyJobPreempting(const JobPreempting& e) {
  auto it = running_.find(e.id);
  if (it == running_.end()) return NotFound("job " + std::to_string(e.id) + " is not bound", "id");
  it->second.preempting = true;
  it->second.preempted_for = e.for_job;
  return Status::Ok();
}

Status ClusterState::ApplyJobReleased(const JobReleased& e) {
  if (queued_.erase(e.id) > 0) return Status::Ok();
  auto it = bound_.find(e.id);
  if (it == bound_.end()) return Status::Ok();  // unknown or already released: harmless
  for (const Placement* part : Ranks(it->second)) {
    const size_t slot = nodes_.Find(part->node);
    if (slot != NodePool::kNone) nodes_.AddUsage(slot, *part, -1);
  }
  bound_.erase(it);
  running_.erase(e.id);
  return Status::Ok();
}

std::vector<const QueuedJob*> ClusterState::QueueOrder() const {
  std::vector<const QueuedJob*> order;
  order.reserve(queued_.size());
  for (const auto& [id, job] : queued_) order.push_back(&job);
  std::sort(order.begin(), order.end(), [](const QueuedJob* a, const QueuedJob* b) {
    if (a->priority != b->priority) return a->priority > b->priority;
    if (a->submit_ms != b->submit_ms) return a->submit_ms < b->submit_ms;
    return a->id < b->id;
  });
  return order;
}

}  // namespace fastgpu::core
