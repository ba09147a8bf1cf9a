#pragma once
// Scheduler: turns a ClusterState into decisions. Pure and const: Plan() changes nothing; the
// caller commits the kPlaced decisions and feeds them back as JobBound events.

#include <memory>
#include <vector>

#include "common/clock.h"
#include "common/rng.h"
#include "core/decisions.h"
#include "core/policy/placement_policy.h"
#include "core/state.h"

namespace fastgpu::core {

class Scheduler {
 public:
  explicit Scheduler(std::unique_ptr<PlacementPolicy> policy);

  // One decision per queued job, in queue order. Jobs are placed greedily in queue order
  // against the capacity left by the jobs placed before them in the same Plan. A job that
  // does not fit now gets kWait with a reason ("waiting for 4 whole GPUs on one node; the most
  // idle on one node is 2 (fragmentation: 6 idle in total)", "no ready nodes"; see
  // core/reasons.h) and its 1-based position among the waiting jobs; a job that no ready or
  // not-ready node could ever hold (or a malformed request) gets kInfeasible with a reason.
  // `now` is unused by the current policies; `rng` is passed to the policy.
  std::vector<Decision> Plan(const ClusterState& state, Instant now, Rng& rng) const;

  // Submit-time check of a request against the cluster's total capacity: OK when some node
  // could ever hold it, or when no node is registered yet (it waits); InvalidArgument with a
  // reason and field "resources" when no registered node ever could.
  Status CheckFeasible(const ClusterState& state, const ResourceRequest& request) const;

 private:
  std::unique_ptr<PlacementPolicy> policy_;
};

}  // namespace fastgpu::core
