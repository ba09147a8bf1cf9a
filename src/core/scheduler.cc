#include "core/scheduler.h"

#include <string>
#include <utility>

#include "common/check.h"
#include "core/capacity.h"
#include "core/queue/plan_run.h"
#include "core/reasons.h"

namespace fastgpu::core {

Scheduler::Scheduler(std::unique_ptr<PlacementPolicy> policy)
    : Scheduler(std::move(policy), std::move(MakeQueueSorter("drf")).value(), QueueOptions{}) {}

Scheduler::Scheduler(std::unique_ptr<PlacementPolicy> policy, std::unique_ptr<QueueSorter> sorter,
                     QueueOptions options)
    : policy_(std::move(policy)), sorter_(std::move(sorter)), options_(std::move(options)) {
  FG_CHECK(policy_ != nullptr);
  FG_CHECK(sorter_ != nullptr);
}

std::vector<Decision> Scheduler::Plan(const ClusterState& state, Instant now, Rng& rng) const {
  PlanRun run(state, now, rng, *policy_, options_);
  return run.Run(*sorter_);
}

Status Scheduler::CheckFeasible(const ClusterState& state, const ResourceRequest& request) const {
  const std::string shape = RequestShapeError(request);
  if (!shape.empty()) return InvalidArgument("invalid resources: " + shape, "resources");
  if (state.nodes().empty()) return Status::Ok();
  QueuedJob probe;
  probe.request = request;
  if (CouldEverFit(probe, state.nodes())) return Status::Ok();
  return InvalidArgument(InfeasibleReason(request, state.nodes()), "resources");
}

}  // namespace fastgpu::core
