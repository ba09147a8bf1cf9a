#pragma once
// EASY backfill: the first job that cannot start (the head) gets a reservation, the earliest
// time and node(s) at which it could start if the bound jobs end when expected; a later job
// may start now only if it does not delay that start. A multi-node head reserves the N nodes
// on which its ranks would start. Pure.
//
// Runtime estimates: a job is expected to hold its resources until bound_ms + time_limit_s (a
// job being preempted: until now + the preemption grace). A job without a time limit has no
// estimate:
//  - when what the head waits for is held by jobs without a limit, the head's start cannot be
//    estimated and it gets no reservation: later jobs run on whatever is free (like Slurm's
//    backfill beyond its window);
//  - a later job without a limit is never assumed to end before the reservation: it may start
//    only where the head would still fit at the reserved start with it still running.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/rng.h"
#include "core/model/resources.h"
#include "core/policy/placement_policy.h"
#include "core/state.h"

namespace fastgpu::core {

// A job expected to give back `placement` (all its ranks) at end_ms.
struct Release {
  int64_t end_ms = 0;
  JobId id = 0;
  Placement placement;
};

struct Reservation {
  QueuedJob head;
  int64_t start_ms = 0;  // estimated start
  // The node(s) the head would start on, as they are expected to be at start_ms (without the
  // head): one for a single-node head, request.nodes for a gang.
  std::map<std::string, NodeState> shadows;
  // "node a" or "nodes a, b".
  std::string Where() const;
};

// The releases that have an estimate, sorted by (end_ms, id): bound jobs of `state` (those in
// `stopping`, or marked preempting, at now_ms + grace_ms) plus `extra` (jobs placed earlier in
// the same Plan).
std::vector<Release> ExpectedReleases(const ClusterState& state, const std::vector<Release>& extra,
                                      const std::vector<JobId>& stopping, int64_t now_ms,
                                      int64_t grace_ms);

// The earliest reservation for `head` given the free capacity `free` now and `releases`, or
// nullopt when the estimated releases never make room for it.
std::optional<Reservation> Reserve(const QueuedJob& head, const NodePool& free,
                                   const std::vector<Release>& releases,
                                   const PlacementPolicy& policy, Rng& rng);

// Whether `job`, placed at `p` at now_ms, leaves `r` intact: none of its ranks runs on a
// reserved node, or it ends (by its time limit) before r.start_ms, or the head still fits
// every reserved node it touches with it running (then those shadows are updated to hold it).
bool BackfillAllowed(const QueuedJob& job, const Placement& p, int64_t now_ms, Reservation& r,
                     const PlacementPolicy& policy, Rng& rng);

}  // namespace fastgpu::core
