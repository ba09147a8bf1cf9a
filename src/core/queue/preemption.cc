#include "core/queue/preemption.h"

#include <algorithm>
#include <tuple>

#include "core/capacity.h"

namespace fastgpu::core {
namespace {

// What a candidate set costs; lower is better.
using Cost = std::tuple<int32_t, size_t, int64_t, std::string>;

class NodeTrial {
 public:
  NodeTrial(const QueuedJob& job, const TenantUsage& usage, const QueueOptions& options,
            const PlacementPolicy& policy, Rng& rng)
      : job_(job), usage_(usage), options_(options), policy_(policy), rng_(rng) {}

  // Tries the candidates of one node (sorted by preference) on a copy of it.
  std::optional<std::vector<const BoundJob*>> Run(const NodeState& node,
                                                  const std::vector<const BoundJob*>& candidates) {
    NodePool trial;
    trial.Insert(node);
    std::map<std::string, int64_t> given_back;  // per victim tenant, GPU milli
    std::vector<const BoundJob*> chosen;
    for (const BoundJob* v : candidates) {
      if (!Allowed(*v, given_back)) continue;
      trial.AddUsage(0, v->placement, -1);
      given_back[v->job.tenant] += UsageOf(v->placement).gpu_milli;
      chosen.push_back(v);
      if (policy_.Place(job_, trial, rng_)) return Prune(node, std::move(chosen));
    }
    return std::nullopt;
  }

 private:
  bool Allowed(const BoundJob& v, const std::map<std::string, int64_t>& given_back) const {
    if (v.job.priority < job_.priority) return true;
    if (v.job.priority > job_.priority || v.job.tenant == job_.tenant) return false;
    const int64_t kGpu = kWholeGpuMilli;
    const int64_t mine = usage_.Of(job_.tenant).gpu_milli + UsageOf(job_.request).gpu_milli;
    if (mine > options_.Tenant(job_.tenant).guaranteed_gpus * kGpu) return false;
    auto back = given_back.find(v.job.tenant);
    const int64_t left = usage_.Of(v.job.tenant).gpu_milli - UsageOf(v.placement).gpu_milli -
                         (back == given_back.end() ? 0 : back->second);
    return left >= options_.Tenant(v.job.tenant).guaranteed_gpus * kGpu;
  }

  // Drops victims (latest chosen first) whose removal is not needed for the job to fit.
  std::vector<const BoundJob*> Prune(const NodeState& node, std::vector<const BoundJob*> chosen) {
    for (size_t i = chosen.size(); i-- > 0;) {
      NodePool trial;
      trial.Insert(node);
      for (size_t k = 0; k < chosen.size(); ++k) {
        if (k != i) trial.AddUsage(0, chosen[k]->placement, -1);
      }
      if (policy_.Place(job_, trial, rng_)) chosen.erase(chosen.begin() + static_cast<long>(i));
    }
    return chosen;
  }

  const QueuedJob& job_;
  const TenantUsage& usage_;
  const QueueOptions& options_;
  const PlacementPolicy& policy_;
  Rng& rng_;
};

bool Prefer(const BoundJob* a, const BoundJob* b) {
  if (a->job.priority != b->job.priority) return a->job.priority < b->job.priority;
  if (a->bound_ms != b->bound_ms) return a->bound_ms > b->bound_ms;
  return a->job.id > b->job.id;
}

Cost CostOf(const std::string& node, const std::vector<const BoundJob*>& victims) {
  int32_t top = INT32_MIN;
  int64_t gpu = 0;
  for (const BoundJob* v : victims) {
    top = std::max(top, v->job.priority);
    gpu += UsageOf(v->placement).gpu_milli;
  }
  return Cost{top, victims.size(), gpu, node};
}

}  // namespace

std::optional<VictimSet> FindVictims(const QueuedJob& job,
                                     const NodePool& free,
                                     const ClusterState& state, const TenantUsage& usage,
                                     const QueueOptions& options, const std::set<JobId>& taken,
                                     const PlacementPolicy& policy, Rng& rng) {
  std::map<std::string, std::vector<const BoundJob*>> by_node;
  for (const auto& [id, bound] : state.running()) {
    if (bound.preempting || taken.count(id) > 0) continue;
    if (!bound.placement.peers.empty()) continue;  // gangs are not preempted (yet)
    if (bound.job.priority > job.priority) continue;
    by_node[bound.placement.node].push_back(&bound);
  }
  NodeTrial trial(job, usage, options, policy, rng);
  std::optional<Cost> best_cost;
  std::optional<VictimSet> best;
  for (auto& [name, candidates] : by_node) {
    const NodeState* node = free.Get(name);
    if (node == nullptr || !node->ready) continue;
    if (!FitsTotal(job, node->spec(), nullptr)) continue;
    std::sort(candidates.begin(), candidates.end(), Prefer);
    std::optional<std::vector<const BoundJob*>> victims = trial.Run(*node, candidates);
    if (!victims) continue;
    Cost cost = CostOf(name, *victims);
    if (best_cost && !(cost < *best_cost)) continue;
    best_cost = cost;
    best = VictimSet{name, {}};
    for (const BoundJob* v : *victims) best->victims.push_back(v->job.id);
    std::sort(best->victims.begin(), best->victims.end());
  }
  return best;
}

}  // namespace fastgpu::core
