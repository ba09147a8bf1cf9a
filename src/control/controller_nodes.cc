// ControllerImpl: nodes and the GPU pool as views, and what operators do to nodes (cordon,
// uncordon, drain).
#include <map>
#include <optional>
#include <utility>

#include "control/controller_impl.h"
#include "control/roles.h"
#include "core/capacity.h"
#include "core/model/gang.h"

namespace fastgpu::control {
namespace {

// The telemetry of `device` in `t`, when the agent reported it.
std::optional<core::DeviceTelemetry> DeviceTelemetryOf(const core::NodeTelemetry& t,
                                                       const core::DeviceSpec& device) {
  for (const core::DeviceTelemetry& d : t.devices) {
    if (d.index == device.index && (d.uuid.empty() || d.uuid == device.uuid)) return d;
  }
  return std::nullopt;
}

Status UnknownNode(const std::string& name) {
  return NotFound("node " + name + " is not registered", "name");
}

}  // namespace

std::optional<int64_t> ControllerImpl::PeakOf(const std::string& node, core::JobId job) const {
  auto entry = nodes_.find(node);
  if (entry == nodes_.end()) return std::nullopt;
  for (const core::JobGpuMemory& m : entry->second.telemetry.jobs) {
    if (m.job == job) return m.peak_mib;
  }
  return std::nullopt;
}

NodeView ControllerImpl::NodeViewLocked(const NodeEntry& entry) const {
  NodeView view;
  view.record = entry.record;
  view.ready = entry.ready;
  view.telemetry = entry.telemetry;
  view.status = entry.status;
  view.jobs = static_cast<int32_t>(entry.jobs.size());
  if (!entry.ready) {
    view.state = "not_ready";
  } else if (!Healthy(entry)) {
    view.state = "unhealthy";
  } else if (entry.record.draining) {
    view.state = entry.jobs.empty() ? "drained" : "draining";
  } else if (entry.record.cordoned) {
    view.state = "cordoned";
  } else {
    view.state = "ready";
  }
  return view;
}

std::vector<NodeView> ControllerImpl::ListNodes() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<NodeView> out;
  out.reserve(nodes_.size());
  for (const auto& [name, entry] : nodes_) out.push_back(NodeViewLocked(entry));
  return out;
}

Result<NodeView> ControllerImpl::GetNode(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return UnknownNode(name);
  return NodeViewLocked(it->second);
}

void ControllerImpl::SetNodeAction(const Caller& caller, const std::string& name, NodeAction action,
                                   NodeDone done) {
  if (Status st = Require(caller, Action::kAdmin, "cordon or drain nodes"); !st.ok()) {
    return done(st);
  }
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  const core::NodeRecord* cur = CurrentNodeLocked(name);
  if (cur == nullptr) {
    post.Add([done, name] { done(UnknownNode(name)); });
    return;
  }
  if (shutdown_) {
    post.Add([done] { done(Unavailable("the server is shutting down")); });
    return;
  }
  core::NodeRecord rec = *cur;
  rec.cordoned = action != NodeAction::kUncordon;
  rec.draining = action == NodeAction::kDrain;
  Write write;
  write.nodes.push_back(std::move(rec));
  write.done = [this, done, name](Status st) {
    if (!st.ok()) return done(st);
    done(GetNode(name));
  };
  WriteLocked(std::move(write));
}

PoolView ControllerImpl::Pool() {
  std::lock_guard<std::mutex> lock(mu_);
  PoolView pool;
  std::map<std::pair<std::string, int32_t>, size_t> where;  // (node, device index) -> gpus[i]
  for (const core::NodeState& node : state_.nodes()) {
    const std::string& name = node.spec().name;
    auto entry = nodes_.find(name);
    const bool ready = entry != nodes_.end() ? entry->second.ready : node.ready;
    const core::NodeTelemetry* telemetry =
        entry != nodes_.end() ? &entry->second.telemetry : nullptr;
    pool.summary.nodes += 1;
    for (size_t i = 0; i < node.spec().devices.size(); ++i) {
      GpuView gpu;
      gpu.node = name;
      gpu.device = node.spec().devices[i];
      gpu.node_ready = ready;
      if (telemetry != nullptr) gpu.telemetry = DeviceTelemetryOf(*telemetry, gpu.device);
      // An unhealthy device offers nothing to new work: it shows no free capacity.
      const bool usable = core::Schedulable(node, i);
      gpu.free_milli = usable ? core::FreeMilli(node, i) : 0;
      gpu.free_memory_mib = usable ? core::FreeMemory(node, i) : 0;
      pool.summary.gpus += 1;
      if (usable && core::IsIdle(node, i)) pool.summary.idle_gpus += 1;
      pool.summary.total_milli += core::kWholeGpuMilli;
      pool.summary.free_milli += gpu.free_milli;
      pool.summary.total_memory_mib += gpu.device.memory_mib;
      pool.summary.free_memory_mib += gpu.free_memory_mib;
      where[{name, gpu.device.index}] = pool.gpus.size();
      pool.gpus.push_back(std::move(gpu));
    }
  }
  for (const auto& [id, placement] : state_.bound()) {
    auto job = active_.find(id);
    const std::string tenant = job != active_.end() ? job->second.record.tenant : std::string();
    for (const core::Placement* part : core::Ranks(placement)) {  // every rank of a gang
      for (const core::DeviceGrant& grant : part->devices) {
        auto at = where.find({part->node, grant.index});
        if (at == where.end()) continue;
        pool.gpus[at->second].allocations.push_back(
            Allocation{id, tenant, grant.slice, PeakOf(part->node, id)});
      }
    }
  }
  pool.summary.pending_jobs = static_cast<int32_t>(state_.queued().size());
  return pool;
}

PoolView ControllerImpl::Pool(const Caller& caller) {
  PoolView pool = Pool();
  if (IsAdmin(caller)) return pool;
  for (GpuView& gpu : pool.gpus) {
    for (Allocation& a : gpu.allocations) {
      if (a.tenant == caller.tenant) continue;
      a.tenant.clear();  // another tenant's work: how much, never whose or which job
      a.job = 0;
    }
  }
  return pool;
}

}  // namespace fastgpu::control
