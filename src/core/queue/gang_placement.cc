#include "core/queue/gang_placement.h"

#include <utility>
#include <vector>

namespace fastgpu::core {

QueuedJob RankJob(const QueuedJob& job) {
  QueuedJob rank = job;
  rank.request.nodes = 1;
  return rank;
}

std::optional<Placement> PlaceJob(const QueuedJob& job, NodePool& free,
                                  const PlacementPolicy& policy, Rng& rng) {
  if (job.request.nodes <= 1) return policy.Place(job, free, rng);
  const QueuedJob rank = RankJob(job);
  struct Taken {
    size_t slot;
    bool was_ready;
    Placement part;
  };
  std::vector<Taken> taken;
  bool complete = true;
  while (static_cast<int32_t>(taken.size()) < job.request.nodes) {
    std::optional<Placement> p = policy.Place(rank, free, rng);
    if (!p) {
      complete = false;
      break;
    }
    const size_t slot = free.Find(p->node);
    taken.push_back(Taken{slot, free.at(slot).ready, *p});
    free.AddUsage(slot, *p, +1);
    free.SetReady(slot, false);  // one rank per node
  }
  for (auto it = taken.rbegin(); it != taken.rend(); ++it) {  // leave `free` as it was
    free.SetReady(it->slot, it->was_ready);
    free.AddUsage(it->slot, it->part, -1);
  }
  if (!complete) return std::nullopt;
  Placement gang = std::move(taken.front().part);
  for (size_t i = 1; i < taken.size(); ++i) gang.peers.push_back(std::move(taken[i].part));
  return gang;
}

}  // namespace fastgpu::core
