#include "control/job_events.h"

#include <string>

namespace fastgpu::control {
namespace {

bool Bound(const core::JobRecord& r) {
  return (r.state == core::JobState::kScheduled || r.state == core::JobState::kRunning) &&
         r.placement.has_value();
}

store::JobEvent Event(const core::JobRecord& r, const char* type, int64_t now_ms) {
  store::JobEvent e;
  e.job = r.id;
  e.time_ms = now_ms;
  e.type = type;
  e.attempt = r.attempt;
  e.state = std::string(core::JobStateName(r.state));
  if (r.placement) e.node = r.placement->node;
  return e;
}

}  // namespace

std::vector<store::JobEvent> EventsForChange(const core::JobRecord* before,
                                             const core::JobRecord& after, int64_t now_ms) {
  std::vector<store::JobEvent> out;
  if (before == nullptr) {
    store::JobEvent submitted = Event(after, "submitted", now_ms);
    if (after.state != core::JobState::kPending) {  // placed at submit: one commit holds both
      submitted.state = std::string(core::JobStateName(core::JobState::kPending));
      submitted.attempt = 0;
      submitted.node.clear();
    }
    out.push_back(std::move(submitted));
    if (after.state == core::JobState::kPending) return out;
  }
  const bool was_bound = before != nullptr && Bound(*before);
  const bool same_attempt = before != nullptr && before->attempt == after.attempt;
  if (Bound(after) && (!was_bound || !same_attempt)) {
    store::JobEvent e = Event(after, "scheduled", now_ms);
    for (const core::DeviceGrant& d : after.placement->devices) e.devices.push_back(d.index);
    out.push_back(std::move(e));
  }
  if (after.state == core::JobState::kRunning &&
      (before == nullptr || before->state != core::JobState::kRunning || !same_attempt)) {
    out.push_back(Event(after, "started", now_ms));
  }
  // A job that ended before its start was reported (the agent sends one report for a short
  // job without output) still started: the history says so, in order, before it finished.
  if (before != nullptr && same_attempt && before->state == core::JobState::kScheduled &&
      core::IsTerminal(after.state) && after.start_ms > 0) {
    store::JobEvent e = Event(after, "started", now_ms);
    e.state = std::string(core::JobStateName(core::JobState::kRunning));
    if (before->placement) e.node = before->placement->node;
    out.push_back(std::move(e));
  }
  if (after.cancel_requested && !core::IsTerminal(after.state) &&
      (before == nullptr || !before->cancel_requested)) {
    out.push_back(Event(after, "cancel_requested", now_ms));
  }
  if (after.preempting_for != 0 && (before == nullptr || before->preempting_for == 0)) {
    store::JobEvent e = Event(after, "preempting", now_ms);
    e.reason = "stopping to make room for job " + std::to_string(after.preempting_for);
    out.push_back(std::move(e));
  }
  if (was_bound && after.state == core::JobState::kPending) {
    const bool preempted = after.preemptions > before->preemptions;
    store::JobEvent e = Event(after, preempted ? "preempted" : "retried", now_ms);
    e.attempt = before->attempt;
    e.node = before->placement->node;
    e.reason = after.reason;
    out.push_back(std::move(e));
  }
  if (core::IsTerminal(after.state) && (before == nullptr || !core::IsTerminal(before->state))) {
    store::JobEvent e = Event(after, "finished", now_ms);
    e.reason = after.reason;
    e.exit_code = after.exit_code;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace fastgpu::control
