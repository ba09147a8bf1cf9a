#pragma once
// PlanRun: the work of one Scheduler::Plan() call (see scheduler.h for the rules). Private to
// core; one object per Plan. Not thread-safe; everything passed in must outlive it.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/rng.h"
#include "core/decisions.h"
#include "core/policy/placement_policy.h"
#include "core/queue/backfill.h"
#include "core/queue/job_gate.h"
#include "core/queue/queue_options.h"
#include "core/queue/queue_sorter.h"
#include "core/queue/tenant_fence.h"
#include "core/queue/tenant_usage.h"
#include "core/state.h"

namespace fastgpu::core {

class PlanRun {
 public:
  PlanRun(const ClusterState& state, Instant now, Rng& rng, const PlacementPolicy& policy,
          const QueueOptions& options);
  std::vector<Decision> Run(const QueueSorter& sorter);

 private:
  // A request that found no room now, or can never fit: within one Plan free capacity only
  // shrinks, so the same request gets the same answer (a long queue of identical jobs behind
  // a full cluster costs one comparison each).
  struct Miss {
    ResourceRequest request;
    bool infeasible = false;
    std::string reason;
  };

  Decision Consider(const QueuedJob& job);
  const Miss& MissFor(const QueuedJob& job, bool infeasible);
  const Miss* FindMiss(const ResourceRequest& r) const;
  Decision Commit(const QueuedJob& job, Placement p);
  // policy_.Place() with the nodes the job's tenant may not use now hidden (tenant_fence.h).
  std::optional<Placement> Place(const QueuedJob& job);
  // The job found no room now: preemption, the reservation and the reason.
  Decision Blocked(const QueuedJob& job, std::string reason);
  std::string Preempt(const QueuedJob& job);
  // The lowest rendezvous port not held on `node` (by bound gangs or this Plan's), or 0.
  int32_t FreePort(const std::string& node) const;

  const ClusterState& state_;
  const Instant now_;
  Rng& rng_;
  const PlacementPolicy& policy_;
  const QueueOptions& options_;

  NodePool free_;  // shrinks as jobs are placed
  TenantUsage usage_;
  JobGate gate_;
  TenantFence fence_;
  std::vector<Miss> misses_;
  std::vector<Release> placed_;          // this Plan's placements with a time limit
  std::map<std::string, std::set<int32_t>> ports_;  // rendezvous ports held, by rank-0 node
  std::optional<QueuedJob> head_;        // the first job that could not start
  std::optional<Reservation> reservation_;
  std::map<JobId, std::vector<JobId>> stopping_for_;  // preemptor -> victims still stopping
  std::set<JobId> taken_;                // victims chosen in this Plan
  std::vector<JobId> taken_order_;
  int32_t preemptors_ = 0;
  int32_t waiting_ = 0;
  std::vector<Decision> decisions_;
};

}  // namespace fastgpu::core
