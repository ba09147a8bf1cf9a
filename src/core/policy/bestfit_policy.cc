#include "core/policy/bestfit_policy.h"

#include <vector>

#include "core/capacity.h"
#include "core/policy/fit.h"

namespace fastgpu::core {
namespace {

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

// The score only depends on the node through FitKey (cpu_left + 16 * gpu_left is FitKey minus
// what the job takes), and falls as FitKey grows, so a group's smallest FitKey bounds it.
std::optional<Placement> BestFitPolicy::Place(const QueuedJob& job, const NodePool& nodes,
                                              Rng& /*rng*/) const {
  const ResourceRequest& r = job.request;
  if (!RequestShapeError(r).empty()) return std::nullopt;
  const int64_t taken = r.cpu_milli + 16 * RequestedMilli(r);
  auto score_of = [taken](int64_t fit_key) { return BestFitScore(fit_key - taken, 0); };
  const RequestFilter filter = nodes.FilterFor(r);
  std::vector<size_t> positions;
  auto score = [&](size_t slot) -> std::optional<int64_t> {
    const NodeState& n = nodes.at(slot);
    if (!NodeUsable(r, n) || !ChooseDevices(r, n, &positions)) return std::nullopt;
    return score_of(FitKey(n));
  };
  auto bound = [&](const CapacitySummary& s) -> std::optional<int64_t> {
    if (!MayHost(s, filter)) return std::nullopt;
    return score_of(s.min_fit_key[filter.level]);
  };
  const size_t best = CachedBestSlot(caches_, r, nodes, bound, score);
  if (best == NodePool::kNone) return std::nullopt;
  const NodeState& n = nodes.at(best);
  ChooseDevices(r, n, &positions);
  return BuildPlacement(r, n, positions);
}

}  // namespace fastgpu::core
