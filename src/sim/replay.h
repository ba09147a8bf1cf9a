#pragma once
// The time replay (`fastgpu sim replay`): the trace's tasks arrive at their creation time and
// run for their recorded runtime, through the full core queue (core::Scheduler: priorities,
// DRF fair share, quotas, EASY backfill, preemption), as the server would schedule them.
// Unlike the fill experiment (fill.h), capacity comes back when tasks end, so what it measures
// is the queue: utilization over time, queueing delay and each tenant's share.
//
// Model (docs/scheduler.md, "sim replay"):
//  - time is in whole seconds; the scheduler plans at every instant where something arrived,
//    ended or finished stopping, rounded up to a multiple of `tick_s`;
//  - a placed task holds its placement for runtime_s, then is released; its time_limit_s is
//    its runtime (a perfect estimate, which backfill relies on);
//  - a preempted task holds its resources for the grace period, then goes back to the queue
//    and later runs its whole runtime again (no checkpoints);
//  - utilization is measured from the first arrival to the last;
//  - an infeasible task (no node could ever hold it) is dropped and counted.
// The loop does no I/O.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "core/model/resources.h"
#include "core/policy/workload_profile.h"
#include "core/queue/queue_options.h"

namespace fastgpu::sim {

struct ReplayTask {
  core::ResourceRequest request;
  std::string tenant;
  int32_t priority = 0;
  int64_t arrival_s = 0;
  int64_t runtime_s = 1;  // >= 1
};

struct ReplayInput {
  std::vector<core::NodeSpec> nodes;
  std::vector<ReplayTask> tasks;  // any order
  std::string policy;             // a placement policy name ("" = the default)
  core::WorkloadProfile workload;
  core::QueueOptions queue;       // sorter, backfill, preemption, tenants
  int64_t tick_s = 1;             // >= 1
};

struct TenantReport {
  int64_t tasks = 0;
  int64_t started = 0;
  double gpu_hours = 0;     // GPU-milli x seconds held / 3.6e6
  double share_pct = 0;     // of all GPU time held
  double mean_wait_s = 0;   // over its started tasks
};

struct ReplayReport {
  int64_t tasks = 0;
  int64_t started = 0;      // placed at least once
  int64_t infeasible = 0;   // dropped: no node could ever hold them
  int64_t preemptions = 0;
  int64_t plans = 0;
  int64_t window_s = 0;     // first arrival .. last arrival
  int64_t span_s = 0;       // first arrival .. last task end
  // GPU milli held x time / (capacity x window): over the arrival window, so that a few long
  // tasks running on after the last arrival do not dilute it.
  double utilization_pct = 0;
  double peak_alloc_pct = 0;        // the most GPU held at once, % of capacity
  // Queueing delay (first start - arrival) over started tasks, seconds.
  double wait_p50_s = 0, wait_p90_s = 0, wait_p99_s = 0, wait_max_s = 0, wait_mean_s = 0;
  std::map<std::string, TenantReport> tenants;
};

// Runs the replay. InvalidArgument for an unknown policy or sorter, a cluster without GPUs,
// or tick_s < 1.
Result<ReplayReport> RunReplay(const ReplayInput& input);

// The report as a short text table (what `fastgpu sim replay` prints), and as CSV rows
// `metric,value` and `tenant,tasks,started,gpu_hours,share_pct,mean_wait_s`.
std::string ReplayTable(const ReplayReport& report);
std::string ReplayCsv(const ReplayReport& report);
std::string ReplayTenantsCsv(const ReplayReport& report);

}  // namespace fastgpu::sim
