// Multi-node jobs in ControllerImpl: one attempt, one rank per node (docs/queueing.md).
// A rank's start moves the job to running; its exit is kept in gangs_ and acked only when the
// whole job has ended: when every rank has exited (succeeded only if all exited 0), or, once
// a rank failed or a cancel was asked, when the other ranks, which leave the desired sets,
// have stopped. So the resources of every rank stay held until the last rank is gone.
#include <spdlog/spdlog.h>

#include "control/controller_impl.h"
#include "control/job_outcome.h"
#include "core/model/gang.h"

namespace fastgpu::control {

void ControllerImpl::GangReportLocked(const std::string& node, const AttemptReport& r,
                                      int64_t now_ms, core::JobRecord& rec, bool* ack,
                                      Deferred& post) {
  *ack = false;
  if (!r.exited) {
    ApplyStarted(r, now_ms, rec);
    return;
  }
  // A rank that ran and ended before it was announced (agent.cc sends no running report for
  // a short rank without output) started the job all the same.
  if (r.error.empty()) ApplyStarted(r, now_ms, rec);
  const core::JobId id = rec.id;
  const bool was_failed = gangs_.Failed(id);
  gangs_.Exited(id, core::RankOn(*rec.placement, node), r);
  if (!was_failed && gangs_.Failed(id)) {
    spdlog::info("job {}: rank {} on {} failed; stopping the other ranks", id,
                 core::RankOn(*rec.placement, node), node);
    BumpRankNodesLocked(*rec.placement, post);  // they leave the desired sets
  }
  std::optional<AttemptReport> outcome = gangs_.Outcome(id, core::WorldSize(*rec.placement));
  if (!outcome) return;  // not acked: the agent reports it again until the job has ended
  if (!core::IsTerminal(rec.state)) ApplyExited(*outcome, now_ms, rec);
  *ack = true;
}

void ControllerImpl::GangAbsentLocked(const NodeEntry& entry, const std::set<core::JobId>& reported,
                                      int64_t now_ms,
                                      std::map<core::JobId, core::JobRecord>& changed) {
  const std::string& node = entry.record.spec.name;
  for (core::JobId id : entry.jobs) {
    const core::JobRecord* cur = CurrentLocked(id);
    if (cur == nullptr) continue;
    const core::JobRecord& rec = changed.count(id) > 0 ? changed.at(id) : *cur;
    if (core::IsTerminal(rec.state)) continue;
    if (!rec.placement || core::WorldSize(*rec.placement) <= 1 || reported.contains(id)) continue;
    if (!rec.cancel_requested && !gangs_.Failed(id)) continue;  // still meant to run here
    const int32_t rank = core::RankOn(*rec.placement, node);
    if (rank < 0 || gangs_.HasExited(id, rank)) continue;
    AttemptReport never;  // this rank never ran here: nothing to stop
    never.job = id;
    never.attempt = rec.attempt;
    never.exited = true;
    never.error = "did not start (another rank ended first)";
    gangs_.Exited(id, rank, never, /*ran=*/false);
    std::optional<AttemptReport> outcome = gangs_.Outcome(id, core::WorldSize(*rec.placement));
    if (!outcome) continue;
    core::JobRecord& next = changed.try_emplace(id, rec).first->second;
    if (!core::IsTerminal(next.state)) ApplyExited(*outcome, now_ms, next);
  }
}

}  // namespace fastgpu::control
