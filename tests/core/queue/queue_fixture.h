#pragma once
// A fixture for queue tests: a ClusterState, a Scheduler with chosen QueueOptions, and a
// Commit() that feeds decisions back as the controller does (kPlaced -> JobBound at `now`,
// kPreempt -> JobPreempting).

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/cluster_builder.h"
#include "core/scheduler.h"

namespace fastgpu::core::test_util {

inline QueuedJob TenantJob(JobId id, const std::string& tenant, int gpus, int32_t priority = 0,
                           int64_t time_limit_s = 0) {
  QueuedJob job = WholeJob(id, gpus, priority, /*submit_ms=*/id);
  job.tenant = tenant;
  job.time_limit_s = time_limit_s;
  return job;
}

class QueueTest : public ::testing::Test {
 protected:
  void Configure(QueueOptions options, const std::string& sorter = "drf") {
    scheduler_ = std::make_unique<Scheduler>(std::move(MakePlacementPolicy("bestfit")).value(),
                                             std::move(MakeQueueSorter(sorter)).value(),
                                             std::move(options));
  }

  std::vector<Decision> Plan(int64_t now_ms) {
    if (!scheduler_) Configure(QueueOptions{});
    return scheduler_->Plan(state_, Instant{now_ms}, rng_);
  }

  std::vector<Decision> PlanAndCommit(int64_t now_ms) {
    std::vector<Decision> decisions = Plan(now_ms);
    for (const Decision& d : decisions) {
      if (d.verdict == Verdict::kPlaced) MustApply(state_, JobBound{d.id, *d.placement, now_ms});
      if (d.verdict == Verdict::kPreempt) MustApply(state_, JobPreempting{d.id, d.for_job});
    }
    return decisions;
  }

  // Binds `job` directly (queued then bound at bound_ms by a Plan of its own).
  void Run(const QueuedJob& job, int64_t bound_ms) {
    Queue(job);
    std::vector<Decision> d = Plan(bound_ms);
    for (const Decision& x : d) {
      if (x.id == job.id && x.verdict == Verdict::kPlaced) {
        MustApply(state_, JobBound{x.id, *x.placement, bound_ms});
        return;
      }
    }
    ADD_FAILURE() << "job " << job.id << " could not be run";
  }

  void Queue(const QueuedJob& job) { MustApply(state_, JobQueued{job}); }

  // The victim stopped: it leaves and goes back to the queue.
  void Requeue(JobId id) {
    QueuedJob job = state_.running().at(id).job;
    MustApply(state_, JobReleased{id});
    Queue(job);
  }

  // GPUs held per tenant.
  std::map<std::string, int> GpusByTenant() const {
    std::map<std::string, int> out;
    for (const auto& [id, bound] : state_.running()) {
      out[bound.job.tenant] += static_cast<int>(bound.placement.devices.size());
    }
    return out;
  }

  static const Decision* Find(const std::vector<Decision>& d, JobId id, Verdict verdict) {
    for (const Decision& x : d) {
      if (x.id == id && x.verdict == verdict) return &x;
    }
    return nullptr;
  }

  std::unique_ptr<Scheduler> scheduler_;
  ClusterState state_;
  Rng rng_{7};
};

}  // namespace fastgpu::core::test_util
