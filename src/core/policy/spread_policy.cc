#include "core/policy/spread_policy.h"

#include <tuple>
#include <vector>

#include "core/capacity.h"
#include "core/policy/fit.h"

namespace fastgpu::core {
namespace {

std::vector<size_t> Devices(const ResourceRequest& r, const NodeState& n) {
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

int64_t LoadPerMille(const NodeState& n) {
  int64_t sum = 0;
  int64_t parts = 0;
  if (!n.spec.devices.empty()) {
    int64_t used = 0;
    for (const Slice& s : n.used) used += s.milli;
    sum += used * 1000 / (static_cast<int64_t>(n.spec.devices.size()) * kWholeGpuMilli);
    ++parts;
  }
  if (n.spec.cpu_milli > 0) {
    sum += static_cast<int64_t>(n.used_cpu_milli) * 1000 / n.spec.cpu_milli;
    ++parts;
  }
  if (n.spec.memory_mib > 0) {
    sum += n.used_memory_mib * 1000 / n.spec.memory_mib;
    ++parts;
  }
  return parts == 0 ? 0 : sum / parts;
}

std::optional<Placement> SpreadPolicy::Place(const QueuedJob& job,
                                             const std::map<std::string, NodeState>& nodes,
                                             Rng& /*rng*/) const {
  const ResourceRequest& r = job.request;
  if (!RequestShapeError(r).empty()) return std::nullopt;
  const NodeState* best = nullptr;
  int64_t best_load = 0;
  for (const auto& [name, node] : nodes) {
    if (!NodeUsable(r, node)) continue;
    const int64_t load = LoadPerMille(node);
    if (best != nullptr && load >= best_load) continue;
    if (!CanHost(r, node)) continue;
    best = &node;
    best_load = load;
  }
  if (best == nullptr) return std::nullopt;
  const std::vector<size_t> positions =
      KindOf(r) == RequestKind::kNoGpu ? std::vector<size_t>{} : Devices(r, *best);
  return BuildPlacement(r, *best, positions);
}

}  // namespace fastgpu::core
