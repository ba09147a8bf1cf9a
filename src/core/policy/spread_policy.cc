#include "core/policy/spread_policy.h"

#include <tuple>
#include <vector>

#include "core/capacity.h"
#include "core/policy/fit.h"

namespace fastgpu::core {
namespace {

std::vector<size_t> Devices(const ResourceRequest& r, const NodeState& n) {
  if (KindOf(r) == RequestKind::kNoGpu) return {};
  if (KindOf(r) == RequestKind::kWholeGpus) return LowestIdleDevices(r, n);
  std::vector<size_t> fits = SliceDevices(r, n);
  if (fits.empty()) return fits;
  size_t best = fits.front();
  std::tuple<int64_t, int64_t> most{-1, -1};
  for (size_t pos : fits) {
    std::tuple<int64_t, int64_t> free{FreeMilli(n, pos), FreeMemory(n, pos)};
    if (free > most) {
      most = free;
      best = pos;
    }
  }
  return {best};
}

}  // namespace

std::optional<Placement> SpreadPolicy::Place(const QueuedJob& job, const NodePool& nodes,
                                             Rng& /*rng*/) const {
  const ResourceRequest& r = job.request;
  if (!RequestShapeError(r).empty()) return std::nullopt;
  const RequestFilter filter = nodes.FilterFor(r);
  // The score is minus the load; a group's least loaded node bounds it.
  auto score = [&](size_t slot) -> std::optional<int64_t> {
    const NodeState& n = nodes.at(slot);
    if (!CanHost(r, n)) return std::nullopt;
    return -LoadPerMille(n);
  };
  const size_t best = nodes.BestSlot(
      [&](const CapacitySummary& s) -> std::optional<int64_t> {
        if (!MayHost(s, filter)) return std::nullopt;
        return -int64_t{s.min_load[filter.level]};
      },
      score);
  if (best == NodePool::kNone) return std::nullopt;
  return BuildPlacement(r, nodes.at(best), Devices(r, nodes.at(best)));
}

}  // namespace fastgpu::core
