#pragma once
// JobGate: the checks a queued job passes before the scheduler looks for room for it, in
// this order: its hold (set by the controller, e.g. an unmet dependency), its group's limit
// (at most group_limit of a job array running at once) and its tenant's max_running_jobs.
// A gated job waits with the reason; it neither becomes the head of the queue (no
// reservation) nor preempts anything. Pure; one object per Plan; not thread-safe.

#include <map>
#include <string>

#include "core/model/resources.h"
#include "core/queue/queue_options.h"
#include "core/state.h"

namespace fastgpu::core {

class JobGate {
 public:
  // Counts the bound jobs of every group and tenant in `state`. Both must outlive the gate.
  JobGate(const ClusterState& state, const QueueOptions& options);

  // "" when `job` may be considered now, else why it waits:
  //   "waiting for job 5 to succeed" (its hold, verbatim),
  //   "array 12 runs 8 of its tasks at once (the limit)",
  //   "over quota: tenant a runs 4 of its max 4 jobs".
  std::string Block(const QueuedJob& job) const;
  // `job` was placed in this Plan: it counts towards its group and tenant from now on.
  void Placed(const QueuedJob& job);

 private:
  const QueueOptions& options_;
  std::map<std::string, int32_t> group_running_;
  std::map<std::string, int32_t> tenant_running_;
};

}  // namespace fastgpu::core
