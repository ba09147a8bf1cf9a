#pragma once
// Scheduler: turns a ClusterState into decisions. Pure and const: Plan() changes nothing; the
// caller commits the decisions and feeds them back as events (kPlaced as JobBound, kPreempt
// as JobPreempting, then JobReleased and JobQueued when the victim has stopped).

#include <memory>
#include <vector>

#include "common/clock.h"
#include "common/rng.h"
#include "core/decisions.h"
#include "core/policy/placement_policy.h"
#include "core/queue/queue_options.h"
#include "core/queue/queue_sorter.h"
#include "core/state.h"

namespace fastgpu::core {

class Scheduler {
 public:
  // Default queue options: DRF sorter, every tenant weight 1 without quotas, backfill and
  // preemption on.
  explicit Scheduler(std::unique_ptr<PlacementPolicy> policy);
  Scheduler(std::unique_ptr<PlacementPolicy> policy, std::unique_ptr<QueueSorter> sorter,
            QueueOptions options);

  // One decision per queued job, in the order the sorter hands them out (see queue_sorter.h),
  // plus one kPreempt decision per victim right before the job it makes room for. Each job,
  // in that order:
  //  - kInfeasible when no node (ready or not) could ever hold it, or it is malformed;
  //  - kWait "over quota: ..." when its tenant would pass its max_gpus;
  //  - kPlaced when the policy finds room in what is left free by the jobs placed before it
  //    in the same Plan, and (backfill) it does not delay the reservation of the first job
  //    that could not start; otherwise kWait "reserved for job H: ...". With backfill off,
  //    every job after the first that could not start waits "behind job H ...".
  //  - otherwise kWait with the capacity reason (core/reasons.h: fragmentation, models,
  //    host resources), extended by "preempting job V", "waiting for preempted job V to stop",
  //    the reservation ("expected to start ...") or "behind higher-priority job H".
  // kWait decisions carry their 1-based position among the waiting jobs. See
  // docs/scheduler.md for the rules of backfill estimates and of preemption.
  std::vector<Decision> Plan(const ClusterState& state, Instant now, Rng& rng) const;

  // Submit-time check of a request against the cluster's total capacity: OK when some node
  // could ever hold it, or when no node is registered yet (it waits); InvalidArgument with a
  // reason and field "resources" when no registered node ever could.
  Status CheckFeasible(const ClusterState& state, const ResourceRequest& request) const;

  const QueueOptions& options() const { return options_; }

 private:
  std::unique_ptr<PlacementPolicy> policy_;
  std::unique_ptr<QueueSorter> sorter_;
  QueueOptions options_;
};

}  // namespace fastgpu::core
