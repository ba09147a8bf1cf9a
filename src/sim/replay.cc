#include "sim/replay.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <queue>
#include <tuple>

#include "common/check.h"
#include "common/rng.h"
#include "core/scheduler.h"
#include "core/state.h"
#include "sim/fill.h"

namespace fastgpu::sim {
namespace {

// The GPU milli a placement holds, over every rank.
int64_t HeldMilli(const core::Placement& p) {
  int64_t milli = 0;
  for (const core::DeviceGrant& g : p.devices) milli += g.slice.milli;
  for (const core::Placement& peer : p.peers) milli += HeldMilli(peer);
  return milli;
}

double Percentile(std::vector<int64_t> sorted, double q) {
  if (sorted.empty()) return 0;
  const auto at = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size()))) - 1;
  return static_cast<double>(sorted[std::min(at, sorted.size() - 1)]);
}

enum class TimerKind { kEnd, kStopped };
// (when, kind, job, generation): a timer of an older generation of its job is stale (the job
// was preempted after the timer was set).
using Timer = std::tuple<int64_t, TimerKind, core::JobId, int64_t>;

// The simulation: one instance per run.
class Replay {
 public:
  Replay(const ReplayInput& in, core::Scheduler& scheduler)
      : in_(in), scheduler_(scheduler), capacity_(CapacityMilli(in.nodes)) {
    order_.resize(in.tasks.size());
    std::iota(order_.begin(), order_.end(), size_t{0});
    std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) {
      return in.tasks[a].arrival_s < in.tasks[b].arrival_s;
    });
    jobs_.resize(in.tasks.size());
  }

  ReplayReport Run() {
    for (const core::NodeSpec& spec : in_.nodes) {
      FG_CHECK(state_.Apply(core::NodeUpserted{spec}).ok());
    }
    report_.tasks = static_cast<int64_t>(order_.size());
    if (order_.empty()) return report_;
    const int64_t start = Task(0).arrival_s;
    int64_t now = start, last_end = start;
    while (true) {
      bool changed = false;
      while (!timers_.empty() && std::get<0>(timers_.top()) <= now) {
        const auto [when, kind, id, generation] = timers_.top();
        timers_.pop();
        if (generation != jobs_[Index(id)].generation) continue;
        Release(id);
        last_end = std::max(last_end, when);
        if (kind == TimerKind::kStopped) Queue(id);
        changed = true;
      }
      while (next_ < order_.size() && Task(next_).arrival_s <= now) {
        Queue(static_cast<core::JobId>(++next_));
        changed = true;
      }
      if (changed) PlanAt(now);
      int64_t next_at = INT64_MAX;
      if (next_ < order_.size()) next_at = Task(next_).arrival_s;
      if (!timers_.empty()) next_at = std::min(next_at, std::get<0>(timers_.top()));
      if (next_at == INT64_MAX) break;  // nothing arrives or ends: what waits, waits forever
      next_at = std::max(now + 1, (next_at + in_.tick_s - 1) / in_.tick_s * in_.tick_s);
      Advance(now, next_at);
      now = next_at;
    }
    Finish(start, last_end);
    return report_;
  }

 private:
  struct JobLife {
    int64_t generation = 0;
    int64_t first_start = -1;
    int64_t held = 0;  // GPU milli held now
  };

  // Job ids are 1 + the task's position in arrival order.
  static size_t Index(core::JobId id) { return static_cast<size_t>(id - 1); }
  const ReplayTask& Task(size_t position) const { return in_.tasks[order_[position]]; }

  void Queue(core::JobId id) {
    const ReplayTask& t = Task(Index(id));
    core::QueuedJob job;
    job.id = id;
    job.tenant = t.tenant;
    job.priority = t.priority;
    job.submit_ms = t.arrival_s * 1000;
    job.request = t.request;
    job.time_limit_s = t.runtime_s;
    FG_CHECK(state_.Apply(core::JobQueued{std::move(job)}).ok());
  }

  void Release(core::JobId id) {
    JobLife& life = jobs_[Index(id)];
    used_ -= life.held;
    tenant_used_[Task(Index(id)).tenant] -= life.held;
    life.held = 0;
    ++life.generation;
    FG_CHECK(state_.Apply(core::JobReleased{id}).ok());
  }

  void PlanAt(int64_t now) {
    ++report_.plans;
    for (const core::Decision& d : scheduler_.Plan(state_, Instant{now * 1000}, rng_)) {
      JobLife& life = jobs_[Index(d.id)];
      const ReplayTask& t = Task(Index(d.id));
      switch (d.verdict) {
        case core::Verdict::kPlaced:
          FG_CHECK(state_.Apply(core::JobBound{d.id, *d.placement, now * 1000}).ok());
          life.held = HeldMilli(*d.placement);
          used_ += life.held;
          tenant_used_[t.tenant] += life.held;
          report_.peak_alloc_pct = std::max(report_.peak_alloc_pct, Pct(used_));
          if (life.first_start < 0) life.first_start = now;
          timers_.emplace(now + t.runtime_s, TimerKind::kEnd, d.id, life.generation);
          break;
        case core::Verdict::kPreempt:
          FG_CHECK(state_.Apply(core::JobPreempting{d.id, d.for_job}).ok());
          ++life.generation;  // its end timer is void: it stops after the grace instead
          timers_.emplace(now + (in_.queue.preemption_grace_ms + 999) / 1000,
                          TimerKind::kStopped, d.id, life.generation);
          ++report_.preemptions;
          break;
        case core::Verdict::kInfeasible:
          FG_CHECK(state_.Apply(core::JobReleased{d.id}).ok());
          ++report_.infeasible;
          break;
        case core::Verdict::kWait:
          break;
      }
    }
  }

  // Accounts for the GPU held from `from` to `to`; utilization counts only the arrival window.
  void Advance(int64_t from, int64_t to) {
    const auto dt = static_cast<double>(to - from);
    const int64_t window_end = Task(order_.size() - 1).arrival_s;
    if (from < window_end) {
      window_milli_s_ +=
          static_cast<double>(used_) * static_cast<double>(std::min(to, window_end) - from);
    }
    held_milli_s_ += static_cast<double>(used_) * dt;
    for (const auto& [tenant, milli] : tenant_used_) {
      tenant_milli_s_[tenant] += static_cast<double>(milli) * dt;
    }
  }

  double Pct(int64_t milli) const {
    return 100.0 * static_cast<double>(milli) / static_cast<double>(capacity_);
  }

  void Finish(int64_t start, int64_t last_end) {
    report_.span_s = last_end - start;
    report_.window_s = Task(order_.size() - 1).arrival_s - start;
    if (report_.window_s > 0) {
      const double window = static_cast<double>(report_.window_s);
      report_.utilization_pct = 100.0 * window_milli_s_ / (static_cast<double>(capacity_) * window);
    }
    std::vector<int64_t> waits;
    std::map<std::string, double> wait_sum;
    for (size_t i = 0; i < order_.size(); ++i) {
      const ReplayTask& t = Task(i);
      TenantReport& tr = report_.tenants[t.tenant];
      ++tr.tasks;
      if (jobs_[i].first_start < 0) continue;
      ++tr.started;
      waits.push_back(jobs_[i].first_start - t.arrival_s);
      wait_sum[t.tenant] += static_cast<double>(waits.back());
    }
    report_.started = static_cast<int64_t>(waits.size());
    std::sort(waits.begin(), waits.end());
    report_.wait_p50_s = Percentile(waits, 0.50);
    report_.wait_p90_s = Percentile(waits, 0.90);
    report_.wait_p99_s = Percentile(waits, 0.99);
    report_.wait_max_s = waits.empty() ? 0 : static_cast<double>(waits.back());
    report_.wait_mean_s = waits.empty() ? 0
                                        : std::accumulate(waits.begin(), waits.end(), 0.0) /
                                              static_cast<double>(waits.size());
    for (auto& [tenant, tr] : report_.tenants) {
      tr.gpu_hours = tenant_milli_s_[tenant] / 1000.0 / 3600.0;
      tr.share_pct = held_milli_s_ > 0 ? 100.0 * tenant_milli_s_[tenant] / held_milli_s_ : 0;
      tr.mean_wait_s = tr.started > 0 ? wait_sum[tenant] / static_cast<double>(tr.started) : 0;
    }
  }

  const ReplayInput& in_;
  core::Scheduler& scheduler_;
  const int64_t capacity_;
  std::vector<size_t> order_;  // task indexes by arrival
  std::vector<JobLife> jobs_;  // by arrival position
  size_t next_ = 0;            // the next task to arrive, by arrival position
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  core::ClusterState state_;
  Rng rng_{1};
  int64_t used_ = 0;
  std::map<std::string, int64_t> tenant_used_;
  double held_milli_s_ = 0;    // over the whole run
  double window_milli_s_ = 0;  // from the first arrival to the last
  std::map<std::string, double> tenant_milli_s_;
  ReplayReport report_;
};

}  // namespace

Result<ReplayReport> RunReplay(const ReplayInput& input) {
  if (input.tick_s < 1) return InvalidArgument("the tick must be at least 1 s", "tick");
  if (CapacityMilli(input.nodes) == 0) return InvalidArgument("the cluster has no GPUs", "nodes");
  core::PolicyOptions options;
  options.workload = input.workload;
  FG_ASSIGN_OR_RETURN(auto policy, core::MakePlacementPolicy(input.policy, options));
  FG_ASSIGN_OR_RETURN(auto sorter, core::MakeQueueSorter(input.queue.sorter));
  core::Scheduler scheduler(std::move(policy), std::move(sorter), input.queue);
  return Replay(input, scheduler).Run();
}

std::string ReplayTable(const ReplayReport& r) {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "tasks %lld, started %lld, infeasible %lld, preemptions %lld, plans %lld\n"
                "arrivals over %.2f days, last end after %.2f\n"
                "GPU utilization while tasks arrive %.2f %% (peak %.2f %%)\n"
                "queueing delay (s): p50 %.0f, p90 %.0f, p99 %.0f, max %.0f, mean %.1f\n",
                static_cast<long long>(r.tasks), static_cast<long long>(r.started),
                static_cast<long long>(r.infeasible), static_cast<long long>(r.preemptions),
                static_cast<long long>(r.plans), static_cast<double>(r.window_s) / 86400.0,
                static_cast<double>(r.span_s) / 86400.0,
                r.utilization_pct, r.peak_alloc_pct, r.wait_p50_s, r.wait_p90_s, r.wait_p99_s,
                r.wait_max_s, r.wait_mean_s);
  std::string out = buf;
  out += "tenant       tasks  started  GPU-hours  share %  mean wait (s)\n";
  for (const auto& [name, t] : r.tenants) {
    std::snprintf(buf, sizeof(buf), "%-11s %6lld %8lld %10.1f %8.2f %14.1f\n",
                  name.empty() ? "(none)" : name.c_str(), static_cast<long long>(t.tasks),
                  static_cast<long long>(t.started), t.gpu_hours, t.share_pct, t.mean_wait_s);
    out += buf;
  }
  return out;
}

std::string ReplayCsv(const ReplayReport& r) {
  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                "metric,value\ntasks,%lld\nstarted,%lld\ninfeasible,%lld\npreemptions,%lld\n"
                "plans,%lld\nwindow_s,%lld\nspan_s,%lld\n"
                "utilization_pct,%.4f\npeak_alloc_pct,%.4f\n"
                "wait_p50_s,%.0f\nwait_p90_s,%.0f\nwait_p99_s,%.0f\nwait_max_s,%.0f\n"
                "wait_mean_s,%.2f\n",
                static_cast<long long>(r.tasks), static_cast<long long>(r.started),
                static_cast<long long>(r.infeasible), static_cast<long long>(r.preemptions),
                static_cast<long long>(r.plans), static_cast<long long>(r.window_s),
                static_cast<long long>(r.span_s),
                r.utilization_pct, r.peak_alloc_pct, r.wait_p50_s, r.wait_p90_s, r.wait_p99_s,
                r.wait_max_s, r.wait_mean_s);
  return buf;
}

std::string ReplayTenantsCsv(const ReplayReport& r) {
  std::string out = "tenant,tasks,started,gpu_hours,share_pct,mean_wait_s\n";
  char buf[256];
  for (const auto& [name, t] : r.tenants) {
    std::snprintf(buf, sizeof(buf), "%s,%lld,%lld,%.4f,%.4f,%.2f\n", name.c_str(),
                  static_cast<long long>(t.tasks), static_cast<long long>(t.started),
                  t.gpu_hours, t.share_pct, t.mean_wait_s);
    out += buf;
  }
  return out;
}

}  // namespace fastgpu::sim
