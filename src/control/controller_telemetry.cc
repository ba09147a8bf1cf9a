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
  Deferred post;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return NotFound("node " + node + " is not registered", "node");
  NodeEntry& entry = it->second;
  core::NodeRecord record = entry.record;
  if (ApplyHealth(telemetry, record.spec)) {
    FG_RETURN_IF_ERROR(store_.UpsertNode(record));
    FG_RETURN_IF_ERROR(state_.Apply(core::NodeUpserted{record.spec}));
    if (!entry.ready) {  // NodeUpserted makes a node ready; this one is not
      (void)state_.Apply(core::NodeReadiness{node, false});
    }
    entry.record = std::move(record);
    ScheduleLocked(post);  // a device back in service takes waiting work
  }
  entry.telemetry = std::move(telemetry);
  return Status::Ok();
}

}  // namespace fastgpu::control
