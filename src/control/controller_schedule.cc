// ControllerImpl: the scheduler thread. A pass runs when something changed the queue or the
// free capacity (sched_dirty_) and the previous pass's decisions are committed; passes are
// spaced by three times what the last one took, so that a deep queue costs at most a quarter
// of a core. On an idle pool a pass takes microseconds, so a submit is placed at once.
//
// When a pass decided nothing (every queued job waits: a full or empty pool) and the only
// changes since are arrivals, the next pass waits twelve times what that pass took (at most
// 8 % of a core): a submit into a deep queue that cannot move is then cheap, and a new job
// that fits anyway waits a few passes' time. Freed capacity, a new node, a cancelled or
// ended job run the next pass at the usual spacing.
#include <spdlog/spdlog.h>

#include <utility>

#include "control/controller_impl.h"

namespace fastgpu::control {

using SteadyClock = std::chrono::steady_clock;
constexpr int kPassSpacing = 3;  // idle time after a pass, in multiples of the pass's duration
constexpr int kIdlePassSpacing = 12;  // the same after a pass that decided nothing (arrivals)
// Passes shorter than this run on the store's writer thread right after the commit that
// called for them (AfterGroupLocked); longer ones on the scheduler thread, so that a deep
// queue's pass never holds up the writer's next transaction.
constexpr std::chrono::microseconds kInlinePassMax{500};

// A kPlaced decision applied to the job's record: its next attempt, bound to the placement.
void MarkPlaced(core::JobRecord& rec, core::Decision& d) {
  rec.state = core::JobState::kScheduled;
  rec.attempt += 1;
  rec.placement = std::move(d.placement);
  rec.reason.clear();
}

void ControllerImpl::SchedulerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (!sched_dirty_ || sched_in_flight_ || shutdown_) {
      sched_cv_.wait(lock);
      continue;
    }
    const SteadyClock::time_point at =
        last_pass_idle_ && !sched_other_change_ ? next_idle_pass_at_ : next_pass_at_;
    if (SteadyClock::now() < at) {
      sched_cv_.wait_until(lock, at);
      continue;
    }
    ScheduleLocked();
  }
}

void ControllerImpl::AfterGroupLocked() {
  if (!sched_dirty_ || sched_in_flight_ || shutdown_ || stopping_) return;
  const SteadyClock::time_point at =
      last_pass_idle_ && !sched_other_change_ ? next_idle_pass_at_ : next_pass_at_;
  if (last_pass_took_ < kInlinePassMax && SteadyClock::now() >= at) {
    ScheduleLocked();
    if (!sched_dirty_ || sched_in_flight_) return;  // else it skipped a job: again soon
  }
  sched_cv_.notify_one();  // the scheduler thread, with its spacing (a deep queue, a retry)
}

void ControllerImpl::ScheduleLocked() {
  uint64_t generation = sched_generation_;
  sched_dirty_ = false;
  sched_other_change_ = false;
  const auto started = SteadyClock::now();
  const Instant now = clock_.Now();
  std::vector<core::Decision> decisions;
  if (!state_.queued().empty()) decisions = scheduler_->Plan(state_, now, rng_);
  std::vector<core::JobRecord> updates;
  bool skipped = false;
  for (core::Decision& d : decisions) {
    // A job with a change in flight is decided on by the next pass, once that change landed.
    if (in_flight_.contains(d.id)) {
      skipped = skipped || d.verdict != core::Verdict::kWait;
      continue;
    }
    auto it = active_.find(d.id);
    if (it == active_.end()) continue;  // queued in state but unknown here: cannot happen
    JobView& view = it->second;
    if (d.verdict == core::Verdict::kWait) {
      view.record.reason = std::move(d.reason);
      view.queue_position = d.queue_position;
      if (waited_) waited_->Inc();
      continue;
    }
    core::JobRecord rec = view.record;
    if (d.verdict == core::Verdict::kPlaced) {
      MarkPlaced(rec, d);
      if (placed_) placed_->Inc();
    } else if (d.verdict == core::Verdict::kPreempt) {
      rec.preempting_for = d.for_job;
      rec.reason = std::move(d.reason);
      if (preempted_) preempted_->Inc();
    } else {
      rec.state = core::JobState::kFailed;
      rec.reason = std::move(d.reason);
      rec.end_ms = now.ms;
      if (infeasible_) infeasible_->Inc();
    }
    updates.push_back(std::move(rec));
  }
  const auto took = SteadyClock::now() - started;
  last_pass_took_ = took;
  if (cycle_seconds_) cycle_seconds_->Observe(std::chrono::duration<double>(took).count());
  // A deep queue makes passes long: space them so that they take at most a quarter of a core.
  next_pass_at_ = SteadyClock::now() + kPassSpacing * took;
  next_idle_pass_at_ = SteadyClock::now() + kIdlePassSpacing * took;
  last_pass_idle_ = updates.empty() && !skipped;
  if (skipped) {
    sched_dirty_ = true;  // again soon, after the change in flight has landed
    next_pass_at_ = std::max(next_pass_at_, SteadyClock::now() + std::chrono::milliseconds(1));
    generation = sched_done_generation_;  // this pass did not decide everything
  }
  if (updates.empty()) {
    sched_done_generation_ = std::max(sched_done_generation_, generation);
    idle_cv_.notify_all();
    return;
  }
  sched_in_flight_ = true;
  Write write;
  write.jobs = std::move(updates);
  write.from_scheduler = true;
  write.covers_generation = generation;
  WriteLocked(std::move(write));
}

bool ControllerImpl::PlaceAtSubmitLocked(core::JobRecord& rec, Write& write) {
  if (sched_in_flight_ || !state_.queued().empty() || !scheduler_ || shutdown_) return false;
  const core::QueuedJob queued = QueuedLocked(rec);
  if (!queued.hold.empty()) return false;
  // Plan is pure: the job joins the queue only for this plan, and leaves it again either way.
  if (!state_.Apply(core::JobQueued{queued}).ok()) return false;
  std::vector<core::Decision> decisions = scheduler_->Plan(state_, clock_.Now(), rng_);
  state_.Apply(core::JobReleased{rec.id}).IgnoreError();  // a queued job always leaves
  if (decisions.size() != 1 || decisions[0].id != rec.id ||
      decisions[0].verdict != core::Verdict::kPlaced) {
    return false;
  }
  MarkPlaced(rec, decisions[0]);
  if (placed_) placed_->Inc();
  // Committed like a pass's decisions: no other pass plans until this placement landed.
  write.from_scheduler = true;
  write.covers_generation = sched_done_generation_;
  sched_in_flight_ = true;
  return true;
}

void ControllerImpl::Settle() {
  committer_->Flush();  // every change queued so far has been applied
  {
    std::unique_lock<std::mutex> lock(mu_);
    const uint64_t generation = sched_generation_;
    idle_cv_.wait(lock,
                  [&] { return stopping_ || shutdown_ || sched_done_generation_ >= generation; });
  }
  committer_->Flush();  // and the callbacks of the pass's commit have run
}

}  // namespace fastgpu::control
