#pragma once
// Placing a job on its node(s). A single-node job goes where the policy says. A multi-node
// job (request.nodes = N > 1) is placed rank by rank: the policy places one rank (the per-node
// request) on the pool, that node is then set aside, and so on until N distinct nodes hold a
// rank, or, when some rank finds no node, nothing is placed at all (a gang is never partial).
// Pure.

#include <optional>

#include "common/rng.h"
#include "core/model/resources.h"
#include "core/policy/placement_policy.h"
#include "core/pool/node_pool.h"

namespace fastgpu::core {

// The placement of `job` on `free` (rank 0 with its peers for a gang; port left 0), or
// nullopt. `free` is used as scratch and is as it was when this returns.
std::optional<Placement> PlaceJob(const QueuedJob& job, NodePool& free,
                                  const PlacementPolicy& policy, Rng& rng);

// The request of one rank of `job` (nodes = 1).
QueuedJob RankJob(const QueuedJob& job);

}  // namespace fastgpu::core
