#pragma once
// The history entries (store::JobEvent) that one change of a job record means, derived from
// the record before and after the change. Pure functions, no I/O.

#include <cstdint>
#include <vector>

#include "core/model/job.h"
#include "store/store.h"

namespace fastgpu::control {

// `before` is null for a new job. In order: submitted; scheduled (node, devices, attempt);
// started; cancel_requested; preempting (reason); preempted (back in the queue after a
// preemption) or retried (back in the queue on a retry, e.g. node lost); finished (state,
// reason, exit code). No event when nothing a user would care about changed.
std::vector<store::JobEvent> EventsForChange(const core::JobRecord* before,
                                             const core::JobRecord& after, int64_t now_ms);

}  // namespace fastgpu::control
