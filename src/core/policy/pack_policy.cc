#include "core/policy/pack_policy.h"

#include <algorithm>
#include <vector>

#include "core/capacity.h"
#include "core/policy/fit.h"

namespace fastgpu::core {
namespace {

bool AnyGpuInUse(const NodeState& n) {
  for (size_t pos = 0; pos < n.spec.devices.size(); ++pos) {
    if (!IsIdle(n, pos)) return true;
  }
  return false;
}

// The node's score and the devices the job would take there; score < 0: cannot host.
int ScoreNode(const ResourceRequest& r, const NodeState& n, std::vector<size_t>* positions) {
  positions->clear();
  if (!NodeUsable(r, n)) return -1;
  const int devices = static_cast<int>(n.spec.devices.size());
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
      const int idle_pct = FreeMilli(n, pos) / 10;
      return std::max(50, 100 - idle_pct / 10);
    }
    positions->push_back(TightestDevice(r, n, fits));
    return AnyGpuInUse(n) ? 49 : std::max(devices, 33 - devices);
  }
  *positions = LowestIdleDevices(r, n);
  if (positions->empty()) return -1;
  if (AnyGpuInUse(n)) return std::max(33, 50 - r.gpu_count);
  return std::max(devices, 33 - devices);
}

}  // namespace

std::optional<Placement> PackPolicy::Place(const QueuedJob& job,
                                           const std::map<std::string, NodeState>& nodes,
                                           Rng& /*rng*/) const {
  const ResourceRequest& r = job.request;
  if (!RequestShapeError(r).empty()) return std::nullopt;
  const NodeState* best = nullptr;
  std::vector<size_t> best_positions;
  std::vector<size_t> positions;
  int best_score = -1;
  for (const auto& [name, node] : nodes) {
    const int score = ScoreNode(r, node, &positions);
    if (score > best_score) {
      best_score = score;
      best = &node;
      best_positions = positions;
    }
  }
  if (best == nullptr) return std::nullopt;
  return BuildPlacement(r, *best, best_positions);
}

}  // namespace fastgpu::core
