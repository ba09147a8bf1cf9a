#include "core/policy/random_policy.h"

#include <vector>

#include "core/capacity.h"
#include "core/policy/fit.h"

namespace fastgpu::core {
namespace {

// Draws before falling back to listing every node that can host the job. Each draw is
// uniform over all nodes and kept only when the node can host, so the result is uniform over
// the nodes that can, either way.
constexpr int kDraws = 8;

size_t UniformHost(const ResourceRequest& r, const NodePool& nodes, Rng& rng) {
  for (int i = 0; i < kDraws; ++i) {
    const size_t slot = rng.Uniform(nodes.size());
    if (CanHost(r, nodes.at(slot))) return slot;
  }
  const RequestFilter filter = nodes.FilterFor(r);
  std::vector<size_t> feasible;
  nodes.ForEach([&](const CapacitySummary& s) { return MayHost(s, filter); },
                [&](size_t slot) {
                  if (CanHost(r, nodes.at(slot))) feasible.push_back(slot);
                });
  if (feasible.empty()) return NodePool::kNone;
  return feasible[rng.Uniform(feasible.size())];
}

}  // namespace

std::optional<Placement> RandomPolicy::Place(const QueuedJob& job, const NodePool& nodes,
                                             Rng& rng) const {
  const ResourceRequest& r = job.request;
  if (!RequestShapeError(r).empty() || nodes.empty()) return std::nullopt;
  const size_t slot = UniformHost(r, nodes, rng);
  if (slot == NodePool::kNone) return std::nullopt;
  const NodeState& node = nodes.at(slot);
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
