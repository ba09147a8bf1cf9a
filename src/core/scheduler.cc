#include "core/scheduler.h"

#include <string>
#include <utility>

#include "common/check.h"
#include "core/capacity.h"
#include "core/reasons.h"

namespace fastgpu::core {
namespace {

// Within one Plan free capacity only shrinks, so a request that found no place (or can never
// fit) gets the same answer again. Remembering the last few such requests makes a long queue of
// identical jobs behind a full cluster cost one comparison each.
class MissMemo {
 public:
  const Decision* Find(const ResourceRequest& r) const {
    for (const auto& [request, decision] : entries_) {
      if (request == r) return &decision;
    }
    return nullptr;
  }
  void Add(const ResourceRequest& r, const Decision& d) {
    if (entries_.size() < kMaxEntries) entries_.emplace_back(r, d);
  }

 private:
  static constexpr size_t kMaxEntries = 64;
  std::vector<std::pair<ResourceRequest, Decision>> entries_;
};

bool AnyNodeCouldHold(const QueuedJob& job, const std::map<std::string, NodeState>& nodes) {
  for (const auto& [name, node] : nodes) {
    if (FitsTotal(job, node.spec, nullptr)) return true;
  }
  return false;
}

}  // namespace

Scheduler::Scheduler(std::unique_ptr<PlacementPolicy> policy) : policy_(std::move(policy)) {
  FG_CHECK(policy_ != nullptr);
}

std::vector<Decision> Scheduler::Plan(const ClusterState& state, Instant /*now*/,
                                      Rng& rng) const {
  std::map<std::string, NodeState> free = state.nodes();  // scratch: shrinks as jobs are placed
  std::vector<Decision> decisions;
  decisions.reserve(state.queued().size());
  MissMemo misses;
  int32_t waiting = 0;
  for (const QueuedJob* job : state.QueueOrder()) {
    Decision d;
    if (const Decision* seen = misses.Find(job->request)) {
      d = *seen;
    } else if (!RequestShapeError(job->request).empty() ||
               (!free.empty() && !AnyNodeCouldHold(*job, free))) {
      d.verdict = Verdict::kInfeasible;
      d.reason = InfeasibleReason(job->request, free);
      misses.Add(job->request, d);
    } else if (std::optional<Placement> p = policy_->Place(*job, free, rng)) {
      d.verdict = Verdict::kPlaced;
      AddUsage(*p, +1, free.at(p->node));
      d.placement = std::move(p);
    } else {
      d.verdict = Verdict::kWait;
      d.reason = WaitReason(job->request, free);
      misses.Add(job->request, d);
    }
    d.id = job->id;
    d.queue_position = d.verdict == Verdict::kWait ? ++waiting : 0;
    decisions.push_back(std::move(d));
  }
  return decisions;
}

Status Scheduler::CheckFeasible(const ClusterState& state, const ResourceRequest& request) const {
  const std::string shape = RequestShapeError(request);
  if (!shape.empty()) return InvalidArgument("invalid resources: " + shape, "resources");
  if (state.nodes().empty()) return Status::Ok();
  QueuedJob probe;
  probe.request = request;
  if (AnyNodeCouldHold(probe, state.nodes())) return Status::Ok();
  return InvalidArgument(InfeasibleReason(request, state.nodes()), "resources");
}

}  // namespace fastgpu::core
