#pragma once
// Metering: the usage records that a job change opens or closes (docs/billing.md). Usage comes
// from allocation events, never from polling: an attempt's record is opened when the agent
// reports it started and closed with the agent's end time when it exits, is preempted or is
// cancelled. The record is written in the same transaction as the job change. Pure; no I/O.

#include <cstdint>
#include <optional>

#include "core/model/job.h"
#include "core/model/resources.h"
#include "store/store.h"

namespace fastgpu::control {

// The record of `job`'s current attempt from start_ms to end_ms (0: open): its tenant, user,
// node, the slices of its placement (models from `node`, "unknown" when null or the device
// is missing there) and its CPU and memory. Needs job.placement.
store::UsageRecord AttemptUsage(const core::JobRecord& job, const core::NodeSpec* node,
                                int64_t start_ms, int64_t end_ms);

// What to write when `before` (as committed) becomes `after`:
//  - an attempt that was running and is no longer (it ended, was preempted and requeued, or
//    is another attempt now): its record closed at after.end_ms when `after` is the same
//    attempt ended, else at stop_ms (when its processes were reported gone);
//  - an attempt that started running: its record, open;
//  - an attempt that ran and ended between two reports (scheduled -> ended with a start):
//    its record, closed;
//  - otherwise nothing.
// End times are clamped to be >= the start. `node` is the node of before's placement.
std::optional<store::UsageRecord> UsageChange(const core::JobRecord& before,
                                              const core::JobRecord& after, int64_t stop_ms,
                                              const core::NodeSpec* node);

}  // namespace fastgpu::control
