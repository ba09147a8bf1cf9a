#pragma once
// How an agent's report of an attempt changes a job record. Pure functions, no I/O.

#include <cstdint>
#include <string>

#include "control/controller.h"
#include "core/model/job.h"

namespace fastgpu::control {

// The attempt started: scheduled -> running with start_ms (the agent's started_ms, or now_ms
// when it sent none). Other states are left as they are. Returns whether `job` changed.
bool ApplyStarted(const AttemptReport& report, int64_t now_ms, core::JobRecord& job);

// The attempt exited: the job becomes terminal.
//  - cancel_requested: cancelled, reason "cancelled by user" (or the reason it was stopped
//    for, e.g. a spent budget, when one was set);
//  - report.error non-empty: failed, "could not start: <error>";
//  - a signal: failed, "killed by signal 9";
//  - exit code 0: succeeded, no reason; another code: failed, "exit code 3";
//  - neither code nor signal: failed, "exited without a status".
// end_ms is the agent's finished_ms (now_ms when it sent none); start_ms is filled in when
// the job was never seen running.
void ApplyExited(const AttemptReport& report, int64_t now_ms, core::JobRecord& job);

// The attempt of a preempted job (preempting_for > 0, no cancel) stopped, or never started:
// the job goes back to the queue as pending, keeping its submit time and attempt count
// (a preemption does not use up max_retries), with preemptions + 1 and the reason
// "preempted for job 7; back in the queue". Placement, start/end and exit status are cleared.
void ApplyPreempted(core::JobRecord& job);

// The job as the scheduler's queue sees it.
core::QueuedJob ToQueued(const core::JobRecord& rec);

// Retries a job has used: placements after the first that were not preemptions.
int32_t RetriesUsed(const core::JobRecord& job);

// The node of a bound job was lost (no report for the grace period), or the job's attempt was
// fenced off by its agent. With retries left (RetriesUsed < spec.max_retries) the job goes back
// to the queue as pending with the reason "node N lost; retry K of M" (placement, start and exit
// status cleared; the next placement is attempt + 1). Otherwise it fails: reason "node lost",
// end_ms = now_ms. A cancel request turns it cancelled instead.
void ApplyNodeLost(const std::string& node, int64_t now_ms, core::JobRecord& job);

}  // namespace fastgpu::control
