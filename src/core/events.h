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
// job recovered from the store).
struct JobBound { JobId id = 0; Placement placement; };
// A job no longer holds or waits for anything (finished, failed, cancelled).
struct JobReleased { JobId id = 0; };

using Event = std::variant<NodeUpserted, NodeReadiness, JobQueued, JobBound, JobReleased>;

}  // namespace fastgpu::core
