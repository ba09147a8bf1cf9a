#include "core/policy/bestfit_policy.h"

#include <vector>

#include "core/capacity.h"
#include "core/policy/fit.h"

namespace fastgpu::core {
namespace {

int64_t FreeGpuMilli(const NodeState& n) {
  int64_t total = 0;
  for (size_t pos = 0; pos < n.spec.devices.size(); ++pos) total += FreeMilli(n, pos);
  return total;
}

int64_t RequestedMilli(const ResourceRequest& r) {
  return r.gpu_count > 0 ? static_cast<int64_t>(r.gpu_count) * r.gpu_milli : 0;
}

// The devices `r` takes on `n`, or false when `n` cannot hold it.
bool ChooseDevices(const ResourceRequest& r, const NodeState& n, std::vector<size_t>* out) {
  out->clear();
  switch (KindOf(r)) {
    case RequestKind::kNoGpu:
      return true;
    case RequestKind::kWholeGpus:
      *out = LowestIdleDevices(r, n);
      return !out->empty();
    case RequestKind::kSlice: {
      const std::vector<size_t> fits = SliceDevices(r, n);
      if (fits.empty()) return false;
      out->push_back(TightestDevice(r, n, fits));
      return true;
    }
  }
  return false;
}

}  // namespace

int64_t BestFitScore(int64_t cpu_left, int64_t gpu_left) {
  // 100 * (1 - (cpu/256000 + gpu/16000)) == (256000 - cpu - 16 * gpu) / 2560, truncated.
  return (256000 - cpu_left - 16 * gpu_left) / 2560;
}

std::optional<Placement> BestFitPolicy::Place(const QueuedJob& job,
                                              const std::map<std::string, NodeState>& nodes,
                                              Rng& /*rng*/) const {
  const ResourceRequest& r = job.request;
  if (!RequestShapeError(r).empty()) return std::nullopt;
  const NodeState* best = nullptr;
  int64_t best_score = 0;
  std::vector<size_t> positions;
  std::vector<size_t> best_positions;
  for (const auto& [name, node] : nodes) {  // by name: strict '>' keeps the first
    if (!NodeUsable(r, node)) continue;
    const int64_t score =
        BestFitScore(FreeCpu(node) - r.cpu_milli, FreeGpuMilli(node) - RequestedMilli(r));
    if (best != nullptr && score <= best_score) continue;
    if (!ChooseDevices(r, node, &positions)) continue;
    best = &node;
    best_score = score;
    best_positions = positions;
  }
  if (best == nullptr) return std::nullopt;
  return BuildPlacement(r, *best, best_positions);
}

}  // namespace fastgpu::core
