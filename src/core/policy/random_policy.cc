#include "core/policy/random_policy.h"

#include <vector>

#include "core/capacity.h"
#include "core/policy/fit.h"

namespace fastgpu::core {

std::optional<Placement> RandomPolicy::Place(const QueuedJob& job,
                                             const std::map<std::string, NodeState>& nodes,
                                             Rng& rng) const {
  const ResourceRequest& r = job.request;
  if (!RequestShapeError(r).empty()) return std::nullopt;
  std::vector<const NodeState*> feasible;
  for (const auto& [name, node] : nodes) {
    if (CanHost(r, node)) feasible.push_back(&node);
  }
  if (feasible.empty()) return std::nullopt;
  const NodeState& node = *feasible[rng.Uniform(feasible.size())];
  std::vector<size_t> positions;
  if (KindOf(r) == RequestKind::kWholeGpus) {
    positions = LowestIdleDevices(r, node);
  } else if (KindOf(r) == RequestKind::kSlice) {
    const std::vector<size_t> fits = SliceDevices(r, node);
    positions.push_back(fits[rng.Uniform(fits.size())]);
  }
  return BuildPlacement(r, node, positions);
}

}  // namespace fastgpu::core
