#include "core/queue/plan_run.h"

#include <utility>

#include "core/capacity.h"
#include "core/model/gang.h"
#include "core/queue/gang_placement.h"
#include "core/queue/preemption.h"
#include "core/reasons.h"

namespace fastgpu::core {
namespace {

constexpr size_t kMaxMisses = 64;

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
    if (bound.placement.port > 0) ports_[bound.placement.node].insert(bound.placement.port);
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
                          (!free_.empty() && !CouldEverFit(job, free_)))) {
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
  std::optional<Placement> p = PlaceJob(job, free_, policy_, rng_);
  TenantFence::Restore(hidden, free_);
  return p;
}

int32_t PlanRun::FreePort(const std::string& node) const {
  const int32_t base = options_.rendezvous_port_base;
  auto held = ports_.find(node);
  for (int32_t port = base; port < base + options_.rendezvous_ports; ++port) {
    if (held == ports_.end() || held->second.count(port) == 0) return port;
  }
  return 0;
}

Decision PlanRun::Commit(const QueuedJob& job, Placement p) {
  Decision d;
  if (reservation_ && !BackfillAllowed(job, p, now_.ms, *reservation_, policy_, rng_)) {
    // Not on the reserved nodes, then: other nodes may hold it without touching the head.
    std::vector<std::pair<size_t, bool>> reserved;  // slot, was ready
    for (const auto& [name, shadow] : reservation_->shadows) {
      const size_t slot = free_.Find(name);
      reserved.emplace_back(slot, free_.at(slot).ready);
      free_.SetReady(slot, false);
    }
    std::optional<Placement> elsewhere = Place(job);
    for (const auto& [slot, ready] : reserved) free_.SetReady(slot, ready);
    if (elsewhere) return Commit(job, std::move(*elsewhere));
    d.reason = "reserved for job " + std::to_string(reservation_->head.id) +
               ": starting now would delay its expected start in " +
               Seconds(reservation_->start_ms - now_.ms) + " on " + reservation_->Where();
    return d;
  }
  if (!p.peers.empty()) {
    p.port = FreePort(p.node);
    if (p.port == 0) {
      d.reason = "no free rendezvous port on node " + p.node + " (all " +
                 std::to_string(options_.rendezvous_ports) + " from " +
                 std::to_string(options_.rendezvous_port_base) + " are held)";
      return d;
    }
    ports_[p.node].insert(p.port);
  }
  for (const Placement* part : Ranks(p)) free_.AddUsage(free_.Find(part->node), *part, +1);
  usage_.Add(job.tenant, UsageOf(p), +1);
  for (const Placement* part : Ranks(p)) fence_.Placed(job.tenant, part->node);
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
      extra = "expected to start in " + Seconds(reservation_->start_ms - now_.ms) + " on " +
              reservation_->Where();
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
  if (job.request.nodes > 1) return "";  // gangs neither preempt nor get preempted (yet)
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
