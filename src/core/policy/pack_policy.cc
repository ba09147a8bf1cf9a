#include "core/policy/pack_policy.h"

#include <algorithm>
#include <vector>

#include "core/capacity.h"
#include "core/policy/fit.h"

namespace fastgpu::core {
namespace {

bool AnyGpuInUse(const NodeState& n) {
  for (size_t pos = 0; pos < n.spec().devices.size(); ++pos) {
    if (!IsIdle(n, pos)) return true;
  }
  return false;
}

// Tier 1: a slice on a partly used device with `free` milli free.
int PartlyUsedScore(int32_t free) { return std::max(50, 100 - (free / 10) / 10); }
// Tier 3: a node of `devices` devices, all idle.
int EmptyNodeScore(int devices) { return std::max(devices, 33 - devices); }

// The node's score and the devices the job would take there; score < 0: cannot host.
int ScoreNode(const ResourceRequest& r, const NodeState& n, std::vector<size_t>* positions) {
  positions->clear();
  if (!NodeUsable(r, n)) return -1;
  const int devices = static_cast<int>(n.spec().devices.size());
  if (KindOf(r) == RequestKind::kNoGpu) return 0;
  if (KindOf(r) == RequestKind::kSlice) {
    std::vector<size_t> fits = SliceDevices(r, n);
    if (fits.empty()) return -1;
    std::vector<size_t> partly;
    for (size_t pos : fits) {
      if (!IsIdle(n, pos)) partly.push_back(pos);
    }
    if (!partly.empty()) {
      const size_t pos = TightestDevice(r, n, partly);
      positions->push_back(pos);
      return PartlyUsedScore(FreeMilli(n, pos));
    }
    positions->push_back(TightestDevice(r, n, fits));
    return AnyGpuInUse(n) ? 49 : EmptyNodeScore(devices);
  }
  *positions = LowestIdleDevices(r, n);
  if (positions->empty()) return -1;
  if (AnyGpuInUse(n)) return std::max(33, 50 - r.gpu_count);
  return EmptyNodeScore(devices);
}

// The best score any node of the group could give `r` (see the tiers in pack_policy.h).
std::optional<int64_t> Bound(const ResourceRequest& r, const CapacitySummary& s) {
  std::optional<int64_t> best;
  auto offer = [&best](int64_t v) { best = std::max(best.value_or(v), v); };
  // EmptyNodeScore is convex, so over a range of device counts it peaks at an end.
  if (s.max_devices_idle_node >= std::max(1, r.gpu_count)) {
    offer(std::max(EmptyNodeScore(s.min_devices_idle_node),
                   EmptyNodeScore(s.max_devices_idle_node)));
  }
  if (KindOf(r) == RequestKind::kWholeGpus) {
    if (s.max_idle_on_used_node >= r.gpu_count) offer(std::max(33, 50 - r.gpu_count));
    return best;
  }
  if (s.max_idle_on_used_node >= 1) offer(49);
  // The tightest partly used device that may fit: the lowest bin at or above the request's.
  const uint32_t bins = s.used_device_bins & ~((uint32_t{1} << BinOfMilli(r.gpu_milli)) - 1);
  if (bins != 0) {
    offer(PartlyUsedScore(std::max(r.gpu_milli, LowestMilliOfBin(__builtin_ctz(bins)))));
  }
  return best;
}

}  // namespace

std::optional<Placement> PackPolicy::Place(const QueuedJob& job, const NodePool& nodes,
                                           Rng& /*rng*/) const {
  const ResourceRequest& r = job.request;
  if (!RequestShapeError(r).empty()) return std::nullopt;
  const RequestFilter filter = nodes.FilterFor(r);
  std::vector<size_t> positions;
  auto score = [&](size_t slot) -> std::optional<int64_t> {
    const int s = ScoreNode(r, nodes.at(slot), &positions);
    return s < 0 ? std::nullopt : std::optional<int64_t>(s);
  };
  auto bound = [&](const CapacitySummary& s) -> std::optional<int64_t> {
    if (!MayHost(s, filter)) return std::nullopt;
    return KindOf(r) == RequestKind::kNoGpu ? std::optional<int64_t>(0) : Bound(r, s);
  };
  const size_t best = CachedBestSlot(caches_, r, nodes, bound, score);
  if (best == NodePool::kNone) return std::nullopt;
  ScoreNode(r, nodes.at(best), &positions);
  return BuildPlacement(r, nodes.at(best), positions);
}

}  // namespace fastgpu::core
