#include "control/job_outcome.h"

#include <string>

#include "control/job_array.h"

namespace fastgpu::control {

bool ApplyStarted(const AttemptReport& report, int64_t now_ms, core::JobRecord& job) {
  if (job.state != core::JobState::kScheduled) return false;
  job.state = core::JobState::kRunning;
  job.start_ms = report.started_ms > 0 ? report.started_ms : now_ms;
  return true;
}

void ApplyExited(const AttemptReport& report, int64_t now_ms, core::JobRecord& job) {
  job.exit_code = report.exit_code;
  job.signal = report.signal;
  job.end_ms = report.finished_ms > 0 ? report.finished_ms : now_ms;
  if (job.start_ms == 0 && report.error.empty()) {
    job.start_ms = report.started_ms > 0 ? report.started_ms : job.end_ms;
  }
  if (job.cancel_requested) {
    job.state = core::JobState::kCancelled;
    if (job.reason.empty()) job.reason = "cancelled by user";  // else why it was stopped
  } else if (!report.error.empty()) {
    job.state = core::JobState::kFailed;
    job.reason = "could not start: " + report.error;
  } else if (report.oom_killed) {
    job.state = core::JobState::kFailed;
    job.reason = "OOM killed (over its memory request)";
  } else if (report.timed_out) {
    job.state = core::JobState::kFailed;
    job.reason = "time limit of " + std::to_string(job.spec.time_limit_s) + " s exceeded";
  } else if (report.signal.has_value()) {
    job.state = core::JobState::kFailed;
    job.reason = "killed by signal " + std::to_string(*report.signal);
  } else if (report.exit_code.has_value() && *report.exit_code == 0) {
    job.state = core::JobState::kSucceeded;
    job.reason.clear();
  } else if (report.exit_code.has_value()) {
    job.state = core::JobState::kFailed;
    job.reason = "exit code " + std::to_string(*report.exit_code);
  } else {
    job.state = core::JobState::kFailed;
    job.reason = "exited without a status";
  }
}

void ApplyPreempted(core::JobRecord& job) {
  job.reason = "preempted for job " + std::to_string(job.preempting_for) + "; back in the queue";
  job.state = core::JobState::kPending;
  job.preempting_for = 0;
  job.preemptions += 1;
  job.placement.reset();
  job.start_ms = 0;
  job.end_ms = 0;
  job.exit_code.reset();
  job.signal.reset();
}

core::QueuedJob ToQueued(const core::JobRecord& rec) {
  core::QueuedJob q;
  q.id = rec.id;
  q.tenant = rec.tenant;
  q.priority = rec.spec.priority;
  q.submit_ms = rec.submit_ms;
  q.request = rec.spec.resources;
  q.time_limit_s = rec.spec.time_limit_s;
  q.group = ArrayGroup(rec.spec);
  q.group_limit = rec.spec.array_limit;
  return q;
}

int32_t RetriesUsed(const core::JobRecord& job) {
  const int32_t used = job.attempt - 1 - job.preemptions;
  return used > 0 ? used : 0;
}

void ApplyNodeLost(const std::string& node, int64_t now_ms, core::JobRecord& job) {
  if (job.cancel_requested) {
    job.state = core::JobState::kCancelled;
    job.reason = "cancelled by user (node " + node + " lost)";
    job.end_ms = now_ms;
    return;
  }
  const int32_t used = RetriesUsed(job);
  if (used >= job.spec.max_retries) {
    job.state = core::JobState::kFailed;
    job.reason = "node lost";
    job.end_ms = now_ms;
    return;
  }
  job.state = core::JobState::kPending;
  job.reason = "node " + node + " lost; retry " + std::to_string(used + 1) + " of " +
               std::to_string(job.spec.max_retries);
  job.preempting_for = 0;
  job.placement.reset();
  job.start_ms = 0;
  job.end_ms = 0;
  job.exit_code.reset();
  job.signal.reset();
}

}  // namespace fastgpu::control
