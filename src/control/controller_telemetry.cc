// ControllerImpl::ReportTelemetry: agents' GPU telemetry, and device health into the spec.
#include <spdlog/spdlog.h>

#include "control/controller_impl.h"

namespace fastgpu::control {
namespace {

// Copies the reported health onto the spec's devices; true when one changed.
bool ApplyHealth(const core::NodeTelemetry& telemetry, core::NodeSpec& spec) {
  bool changed = false;
  for (const core::DeviceTelemetry& t : telemetry.devices) {
    for (core::DeviceSpec& d : spec.devices) {
      if (d.index != t.index || d.healthy == t.healthy) continue;
      if (!t.uuid.empty() && t.uuid != d.uuid) continue;  // not the device the spec names
      d.healthy = t.healthy;
      changed = true;
      if (t.healthy) {
        spdlog::info("node {}: GPU {} ({}) is healthy again", spec.name, d.index, d.uuid);
      } else {
        spdlog::warn("node {}: GPU {} ({}) is unhealthy: {}; no new work goes there", spec.name,
                     d.index, d.uuid, t.health);
      }
    }
  }
  return changed;
}

}  // namespace

Status ControllerImpl::ReportTelemetry(const std::string& node, core::NodeTelemetry telemetry) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return NotFound("node " + node + " is not registered", "node");
  NodeEntry& entry = it->second;
  // Against the newest record (a change may be in flight), so a health change goes out once.
  core::NodeRecord record = *CurrentNodeLocked(node);
  if (ApplyHealth(telemetry, record.spec) && !shutdown_) {
    // Committed like any node change; ApplyNodeLocked then updates the scheduler's view (an
    // unhealthy device offers nothing) and wakes the scheduler (one back in service takes
    // waiting work). A failed commit is retried by the next heartbeat, which differs again.
    Write write;
    write.nodes.push_back(std::move(record));
    WriteLocked(std::move(write));
  }
  entry.telemetry = std::move(telemetry);
  return Status::Ok();
}

}  // namespace fastgpu::control
