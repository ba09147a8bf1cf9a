#pragma once
// Victim selection for preemption. Pure.
//
// A waiting job P may preempt a bound job V (not already stopping) when
//  - V has a lower priority than P; or
//  - V is borrowed work: V's tenant is not P's, V's priority is not above P's, V's tenant
//    holds more than its guaranteed GPUs even without V, and P's tenant stays within its own
//    guarantee with P (P reclaims guaranteed capacity that another tenant borrowed).
// Among the ready nodes where removing allowed victims lets P fit, the chosen set is the one
// with the lowest highest-victim priority, then the fewest victims, then the least GPU
// taken back, then the node name. On a node, victims are tried lowest priority first, then
// the most recently started (the least work lost), then the highest id; victims that turn
// out not to be needed are dropped again.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/rng.h"
#include "core/policy/placement_policy.h"
#include "core/queue/queue_options.h"
#include "core/queue/tenant_usage.h"
#include "core/state.h"

namespace fastgpu::core {

struct VictimSet {
  std::string node;
  std::vector<JobId> victims;  // by id
};

// The victims that let `job` run, or nullopt when no allowed set does. Jobs in `taken` (chosen
// for another job in the same Plan) are never chosen. `free` is the free capacity now.
std::optional<VictimSet> FindVictims(const QueuedJob& job,
                                     const NodePool& free,
                                     const ClusterState& state, const TenantUsage& usage,
                                     const QueueOptions& options, const std::set<JobId>& taken,
                                     const PlacementPolicy& policy, Rng& rng);

}  // namespace fastgpu::core
