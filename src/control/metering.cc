#include "control/metering.h"

#include <algorithm>

namespace fastgpu::control {

store::UsageRecord AttemptUsage(const core::JobRecord& job, const core::NodeSpec* node,
                                int64_t start_ms, int64_t end_ms) {
  store::UsageRecord u;
  u.job = job.id;
  u.attempt = job.attempt;
  u.tenant = job.tenant;
  u.user = job.user;
  u.key_prefix = job.key_prefix;
  u.start_ms = start_ms;
  u.end_ms = end_ms > 0 ? std::max(end_ms, start_ms) : 0;
  if (!job.placement) return u;
  u.node = job.placement->node;
  u.cpu_milli = job.placement->cpu_milli;
  u.memory_mib = job.placement->memory_mib;
  for (const core::DeviceGrant& g : job.placement->devices) {
    store::UsageDevice d{g.index, "unknown", g.slice.milli, g.slice.memory_mib};
    if (node != nullptr) {
      for (const core::DeviceSpec& spec : node->devices) {
        if (spec.index != g.index) continue;
        d.model = spec.model;
        if (d.memory_mib == 0) d.memory_mib = spec.memory_mib;  // a whole GPU
      }
    }
    u.devices.push_back(std::move(d));
  }
  return u;
}

std::optional<store::UsageRecord> UsageChange(const core::JobRecord& before,
                                              const core::JobRecord& after, int64_t stop_ms,
                                              const core::NodeSpec* node) {
  const bool was_running = before.state == core::JobState::kRunning && before.placement &&
                           before.start_ms > 0;
  const bool same_attempt = after.attempt == before.attempt;
  const bool still_running = same_attempt && after.state == core::JobState::kRunning;
  if (was_running) {
    if (still_running) return std::nullopt;
    const bool ended_here = same_attempt && core::IsTerminal(after.state) && after.end_ms > 0;
    return AttemptUsage(before, node, before.start_ms, ended_here ? after.end_ms : stop_ms);
  }
  if (!after.placement || after.start_ms <= 0 || !same_attempt) return std::nullopt;
  if (after.state == core::JobState::kRunning) {
    return AttemptUsage(after, node, after.start_ms, 0);
  }
  if (core::IsTerminal(after.state) && before.state == core::JobState::kScheduled &&
      after.end_ms > 0) {
    return AttemptUsage(after, node, after.start_ms, after.end_ms);
  }
  return std::nullopt;
}

}  // namespace fastgpu::control
