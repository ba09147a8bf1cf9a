#include "core/queue/backfill.h"

#include <algorithm>

#include "core/capacity.h"

namespace fastgpu::core {
namespace {

bool FitsAlone(const QueuedJob& job, const NodeState& node, const PlacementPolicy& policy,
               Rng& rng) {
  NodePool one;
  one.Insert(node);
  return policy.Place(job, one, rng).has_value();
}

}  // namespace

std::vector<Release> ExpectedReleases(const ClusterState& state, const std::vector<Release>& extra,
                                      const std::vector<JobId>& stopping, int64_t now_ms,
                                      int64_t grace_ms) {
  std::vector<Release> out = extra;
  for (const auto& [id, bound] : state.running()) {
    const bool stops = bound.preempting ||
                       std::find(stopping.begin(), stopping.end(), id) != stopping.end();
    int64_t end = 0;
    if (stops) {
      end = now_ms + grace_ms;
    } else if (bound.job.time_limit_s > 0) {
      end = std::max(now_ms, bound.bound_ms + bound.job.time_limit_s * 1000);
    } else {
      continue;  // no estimate
    }
    out.push_back(Release{end, id, bound.placement});
  }
  std::sort(out.begin(), out.end(), [](const Release& a, const Release& b) {
    return a.end_ms != b.end_ms ? a.end_ms < b.end_ms : a.id < b.id;
  });
  return out;
}

std::optional<Reservation> Reserve(const QueuedJob& head,
                                   const NodePool& free,
                                   const std::vector<Release>& releases,
                                   const PlacementPolicy& policy, Rng& rng) {
  std::map<std::string, NodeState> touched;  // nodes as they will be, copied on first release
  for (size_t i = 0; i < releases.size(); ++i) {
    const Release& r = releases[i];
    auto it = touched.find(r.placement.node);
    if (it == touched.end()) {
      const NodeState* now = free.Get(r.placement.node);
      if (now == nullptr) continue;
      it = touched.emplace(r.placement.node, *now).first;
    }
    AddUsage(r.placement, -1, it->second);
    const bool more_at_same_time = i + 1 < releases.size() &&
                                   releases[i + 1].end_ms == r.end_ms &&
                                   releases[i + 1].placement.node == r.placement.node;
    if (!it->second.ready || more_at_same_time) continue;
    if (FitsAlone(head, it->second, policy, rng)) {
      return Reservation{head, r.end_ms, it->first, it->second};
    }
  }
  return std::nullopt;
}

bool BackfillAllowed(const QueuedJob& job, const Placement& p, int64_t now_ms, Reservation& r,
                     const PlacementPolicy& policy, Rng& rng) {
  if (p.node != r.node) return true;
  if (job.time_limit_s > 0 && now_ms + job.time_limit_s * 1000 <= r.start_ms) return true;
  NodeState trial = r.shadow;
  AddUsage(p, +1, trial);
  if (!FitsAlone(r.head, trial, policy, rng)) return false;
  r.shadow = std::move(trial);
  return true;
}

}  // namespace fastgpu::core
