#include "core/queue/plan_run.h"

#include <utility>

#include "core/capacity.h"
#include "core/queue/preemption.h"
#include "core/reasons.h"

namespace fastgpu::core {
namespace {

constexpr size_t kMaxMisses = 64;

bool AnyNodeCouldHold(const QueuedJob& job, const NodePool& nodes) {
  for (const NodeState& node : nodes) {
    if (FitsTotal(job, node.spec(), nullptr)) return true;
  }
  return false;
}

std::string JobList(const std::vector<JobId>& ids) {
  std::string out = ids.size() == 1 ? "job " : "jobs ";
  for (size_t i = 0; i < ids.size(); ++i) out += (i == 0 ? "" : ", ") + std::to_string(ids[i]);
  return out;
}

std::string Seconds(int64_t ms) { return std::to_string((ms + 999) / 1000) + "s"; }

}  // namespace

PlanRun::PlanRun(const ClusterState& state, Instant now, Rng& rng, const PlacementPolicy& policy,
                 const QueueOptions& options)
    : state_(state), now_(now), rng_(rng), policy_(policy), options_(options),
      free_(state.nodes()), usage_(state), gate_(state, options),
      fence_(state, options.single_tenant_unisolated) {
  for (const auto& [id, bound] : state.running()) {
    if (bound.preempting && bound.preempted_for != 0) stopping_for_[bound.preempted_for].push_back(id);
  }
}

std::vector<Decision> PlanRun::Run(const QueueSorter& sorter) {
  decisions_.reserve(state_.queued().size());
  std::unique_ptr<QueuePass> pass = sorter.Start(state_, usage_, options_);
  while (const QueuedJob* job = pass->Next()) {
    Decision d = Consider(*job);
    d.id = job->id;
    d.queue_position = d.verdict == Verdict::kWait ? ++waiting_ : 0;
    decisions_.push_back(std::move(d));
  }
  return std::move(decisions_);
}

const PlanRun::Miss* PlanRun::FindMiss(const ResourceRequest& r) const {
  for (const Miss& m : misses_) {
    if (m.request == r) return &m;
  }
  return nullptr;
}

const PlanRun::Miss& PlanRun::MissFor(const QueuedJob& job, bool infeasible) {
  Miss m{job.request, infeasible,
         infeasible ? InfeasibleReason(job.request, free_) : WaitReason(job.request, free_)};
  if (misses_.size() < kMaxMisses) {
    misses_.push_back(std::move(m));
    return misses_.back();
  }
  static thread_local Miss scratch;  // no room to remember: answer without memo
  scratch = std::move(m);
  return scratch;
}

Decision PlanRun::Consider(const QueuedJob& job) {
  Decision d;
  const Miss* miss = FindMiss(job.request);
  if (miss == nullptr && (!RequestShapeError(job.request).empty() ||
                          (!free_.empty() && !AnyNodeCouldHold(job, free_)))) {
    miss = &MissFor(job, /*infeasible=*/true);
  }
  if (miss != nullptr && miss->infeasible) {
    d.verdict = Verdict::kInfeasible;
    d.reason = miss->reason;
    return d;
  }
  if (std::string gated = gate_.Block(job); !gated.empty()) {
    d.reason = std::move(gated);
    return d;
  }
  std::string quota = usage_.QuotaBlock(job.tenant, UsageOf(job.request), options_);
  if (!quota.empty()) {
    d.reason = std::move(quota);
    return d;
  }
  if (head_ && !options_.backfill) {
    d.reason = (head_->priority > job.priority ? "behind higher-priority job "
                                               : "behind job ") +
               std::to_string(head_->id) + ", which waits first (backfill is off)";
    return d;
  }
  if (miss == nullptr) {
    if (std::optional<Placement> p = Place(job)) return Commit(job, std::move(*p));
    miss = &MissFor(job, /*infeasible=*/false);
  }
  return Blocked(job, miss->reason);
}

std::optional<Placement> PlanRun::Place(const QueuedJob& job) {
  TenantFence::Hidden hidden = fence_.Hide(job.tenant, free_);
  std::optional<Placement> p = policy_.Place(job, free_, rng_);
  TenantFence::Restore(hidden, free_);
  return p;
}

Decision PlanRun::Commit(const QueuedJob& job, Placement p) {
  Decision d;
  if (reservation_ && !BackfillAllowed(job, p, now_.ms, *reservation_, policy_, rng_)) {
    // Not on the reserved node, then: another node may hold it without touching the head.
    const size_t reserved = free_.Find(reservation_->node);
    const bool ready = free_.at(reserved).ready;
    free_.SetReady(reserved, false);
    std::optional<Placement> elsewhere = Place(job);
    free_.SetReady(reserved, ready);
    if (elsewhere) return Commit(job, std::move(*elsewhere));
    d.reason = "reserved for job " + std::to_string(reservation_->head.id) +
               ": starting now would delay its expected start in " +
               Seconds(reservation_->start_ms - now_.ms) + " on node " + reservation_->node;
    return d;
  }
  free_.AddUsage(free_.Find(p.node), p, +1);
  usage_.Add(job.tenant, UsageOf(p), +1);
  fence_.Placed(job.tenant, p.node);
  gate_.Placed(job);
  if (job.time_limit_s > 0) placed_.push_back(Release{now_.ms + job.time_limit_s * 1000, job.id, p});
  d.verdict = Verdict::kPlaced;
  d.placement = std::move(p);
  return d;
}

Decision PlanRun::Blocked(const QueuedJob& job, std::string reason) {
  Decision d;
  std::string extra = Preempt(job);
  if (!head_) {
    head_ = job;
    if (options_.backfill) {
      const std::vector<Release> releases =
          ExpectedReleases(state_, placed_, taken_order_, now_.ms, options_.preemption_grace_ms);
      reservation_ = Reserve(job, free_, releases, policy_, rng_);
    }
    if (reservation_ && extra.empty()) {
      extra = "expected to start in " + Seconds(reservation_->start_ms - now_.ms) +
              " on node " + reservation_->node;
    }
  } else if (head_->priority > job.priority && extra.empty()) {
    extra = "behind higher-priority job " + std::to_string(head_->id);
  }
  d.reason = extra.empty() ? std::move(reason) : reason + "; " + extra;
  return d;
}

// Chooses victims for `job` (emitting their kPreempt decisions) and says so, or says which
// victims are still stopping for it; "" when it preempts nothing.
std::string PlanRun::Preempt(const QueuedJob& job) {
  auto stopping = stopping_for_.find(job.id);
  if (stopping != stopping_for_.end()) {
    return "waiting for preempted " + JobList(stopping->second) + " to stop";
  }
  if (!options_.preemption || preemptors_ >= options_.max_preemptors_per_plan) return "";
  ++preemptors_;
  std::optional<VictimSet> set =
      FindVictims(job, free_, state_, usage_, options_, taken_, policy_, rng_);
  if (!set) return "";
  for (JobId victim : set->victims) {
    taken_.insert(victim);
    taken_order_.push_back(victim);
    Decision p;
    p.id = victim;
    p.verdict = Verdict::kPreempt;
    p.for_job = job.id;
    p.reason = "preempted for job " + std::to_string(job.id);
    decisions_.push_back(std::move(p));
  }
  return "preempting " + JobList(set->victims) + " on node " + set->node + " (grace " +
         Seconds(options_.preemption_grace_ms) + ")";
}

}  // namespace fastgpu::core
