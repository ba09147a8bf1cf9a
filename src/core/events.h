#pragma once
// Events: the only inputs that change core::ClusterState. Plain structs.

#include <string>
#include <variant>

#include "core/model/resources.h"

namespace fastgpu::core {

// A node registered or re-registered (its spec may have changed). It becomes ready.
struct NodeUpserted { NodeSpec spec; };
// A node's readiness changed (missed heartbeats, came back, cordoned). Not-ready nodes keep
// their bound jobs but receive no new ones.
struct NodeReadiness { std::string name; bool ready = true; };
// A job entered the wait queue (submitted, or recovered as pending after a restart).
struct JobQueued { QueuedJob job; };
// A job left the queue and holds `placement` (a Plan decision that was committed, or a bound
// job recovered from the store). bound_ms is when it started holding it (for runtime
// estimates: it is expected back at bound_ms + time_limit_s).
struct JobBound { JobId id = 0; Placement placement; int64_t bound_ms = 0; };
// A bound job was told to stop so that job `for_job` can run (a committed kPreempt decision).
// It keeps its resources until JobReleased; for_job may be 0 when unknown (after a restart).
struct JobPreempting { JobId id = 0; JobId for_job = 0; };
// A job no longer holds or waits for anything (finished, failed, cancelled).
struct JobReleased { JobId id = 0; };
// A queued job's hold changed ("" releases it): see QueuedJob::hold.
struct JobHold { JobId id = 0; std::string hold; };

using Event = std::variant<NodeUpserted, NodeReadiness, JobQueued, JobBound, JobPreempting,
                           JobReleased, JobHold>;

}  // namespace fastgpu::core
