#include "core/queue/backfill.h"

#include <algorithm>

#include "core/capacity.h"
#include "core/model/gang.h"
#include "core/queue/gang_placement.h"

namespace fastgpu::core {
namespace {

// Whether one rank of `head` fits `node` alone, as the policy would place it.
bool FitsAlone(const QueuedJob& head, const NodeState& node, const PlacementPolicy& policy,
               Rng& rng) {
  NodePool one;
  one.Insert(node);
  return policy.Place(RankJob(head), one, rng).has_value();
}

}  // namespace

std::string Reservation::Where() const {
  std::string out = shadows.size() == 1 ? "node " : "nodes ";
  bool first = true;
  for (const auto& [name, shadow] : shadows) {
    out += (first ? "" : ", ") + name;
    first = false;
  }
  return out;
}

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

// Walks the releases in time order with the nodes as they will be. After each moment (all
// releases with one end time), the nodes they touched are checked in release order: a
// single-node head starts on the first that can hold it; a gang when enough nodes can hold a
// rank (the nodes that can already now count from the start).
std::optional<Reservation> Reserve(const QueuedJob& head, const NodePool& free,
                                   const std::vector<Release>& releases,
                                   const PlacementPolicy& policy, Rng& rng) {
  const size_t want = static_cast<size_t>(std::max(1, head.request.nodes));
  std::vector<std::string> fitting;  // in the order found
  auto found = [&fitting](const std::string& name) {
    return std::find(fitting.begin(), fitting.end(), name) != fitting.end();
  };
  if (want > 1) {
    const RequestFilter filter = free.FilterFor(RankJob(head).request);
    free.ForEach([&](const CapacitySummary& s) { return MayHost(s, filter); },
                 [&](size_t slot) {
                   if (fitting.size() + 1 < want && FitsAlone(head, free.at(slot), policy, rng)) {
                     fitting.push_back(free.at(slot).spec().name);
                   }
                 });
  }
  std::map<std::string, NodeState> touched;  // nodes as they will be, copied on first release
  std::vector<std::string> moment;           // nodes touched at the current end time
  for (size_t i = 0; i < releases.size(); ++i) {
    const Release& r = releases[i];
    for (const Placement* part : Ranks(r.placement)) {
      auto it = touched.find(part->node);
      if (it == touched.end()) {
        const NodeState* now = free.Get(part->node);
        if (now == nullptr) continue;
        it = touched.emplace(part->node, *now).first;
      }
      AddUsage(*part, -1, it->second);
      if (std::find(moment.begin(), moment.end(), part->node) == moment.end()) {
        moment.push_back(part->node);
      }
    }
    if (i + 1 < releases.size() && releases[i + 1].end_ms == r.end_ms) continue;
    for (const std::string& name : moment) {
      const NodeState& node = touched.at(name);
      if (found(name) || !node.ready || !FitsAlone(head, node, policy, rng)) continue;
      fitting.push_back(name);
      if (fitting.size() < want) continue;
      Reservation out{head, r.end_ms, {}};
      for (const std::string& n : fitting) {
        auto t = touched.find(n);
        out.shadows.emplace(n, t != touched.end() ? t->second : *free.Get(n));
      }
      return out;
    }
    moment.clear();
  }
  return std::nullopt;
}

bool BackfillAllowed(const QueuedJob& job, const Placement& p, int64_t now_ms, Reservation& r,
                     const PlacementPolicy& policy, Rng& rng) {
  if (job.time_limit_s > 0 && now_ms + job.time_limit_s * 1000 <= r.start_ms) return true;
  std::map<std::string, NodeState> trial;
  for (const Placement* part : Ranks(p)) {
    auto reserved = r.shadows.find(part->node);
    if (reserved == r.shadows.end()) continue;
    NodeState shadow = reserved->second;
    AddUsage(*part, +1, shadow);
    if (!FitsAlone(r.head, shadow, policy, rng)) return false;
    trial.emplace(part->node, std::move(shadow));
  }
  for (auto& [name, shadow] : trial) r.shadows[name] = std::move(shadow);
  return true;
}

}  // namespace fastgpu::core
