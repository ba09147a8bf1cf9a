#pragma once
// ClusterState: the scheduler's whole view of the cluster (nodes, free capacity, wait queue,
// bound jobs). Changes only through Apply(). Deterministic: iteration is ordered by name/id.
// Not thread-safe: the owner serialises access.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/events.h"
#include "core/model/resources.h"
#include "core/pool/node_pool.h"

namespace fastgpu::core {

// A bound job as the scheduler sees it: what it asked for and where it runs.
struct BoundJob {
  QueuedJob job;          // as it was queued (tenant, priority, request, time limit)
  Placement placement;
  int64_t bound_ms = 0;
  JobId preempted_for = 0;  // set by JobPreempting: it is stopping for this job
  bool preempting = false;
  bool operator==(const BoundJob&) const = default;
};

class ClusterState {
 public:
  // Applies one event. Returns OK, or:
  //  - InvalidArgument for a bind to an unknown node/device or one that would exceed capacity;
  //  - NotFound when binding/releasing a job the state does not know (releasing an unknown job
  //    is OK and a no-op, so duplicate events are harmless);
  //  - AlreadyExists when queueing a job id that is already queued or bound;
  //  - NotFound when marking a job preempting that is not bound, or holding one not queued.
  // On error the state is unchanged.
  Status Apply(const Event& event);

  // The nodes in name order, with their free-capacity index.
  const NodePool& nodes() const { return nodes_; }
  const std::map<JobId, QueuedJob>& queued() const { return queued_; }
  const std::map<JobId, Placement>& bound() const { return bound_; }
  // The bound jobs with what they asked for (same keys as bound()).
  const std::map<JobId, BoundJob>& running() const { return running_; }

  // Queued jobs in scheduling order: priority desc, submit_ms asc, id asc.
  std::vector<const QueuedJob*> QueueOrder() const;

 private:
  Status ApplyNodeUpserted(const NodeUpserted& e);
  Status ApplyNodeReadiness(const NodeReadiness& e);
  Status ApplyJobQueued(const JobQueued& e);
  Status ApplyJobBound(const JobBound& e);
  Status ApplyJobPreempting(const JobPreempting& e);
  Status ApplyJobReleased(const JobReleased& e);
  Status ApplyJobHold(const JobHold& e);

  NodePool nodes_;
  std::map<JobId, QueuedJob> queued_;
  std::map<JobId, Placement> bound_;
  std::map<JobId, BoundJob> running_;
};

}  // namespace fastgpu::core
