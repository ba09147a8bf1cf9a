#pragma once
// QueueSorter: who goes next. A sorter starts one pass over the wait queue per Plan; the pass
// hands out queued jobs one at a time and may look at the tenants' usage as it changes during
// the Plan (the scheduler charges each placement to TenantUsage before asking for the next
// job), so that weighted fair share holds within one Plan too. Pure, deterministic (ties by
// tenant name, then submit time, then id). Chosen by name through MakeQueueSorter().
//
//  - "fifo": priority (higher first), then submit time, then id. Tenants are ignored.
//  - "drf" (default): priority levels first (every job of a higher priority goes before any of
//    a lower one). Within a level, the next job comes from the tenant that is below its
//    guaranteed GPUs, else from the one with the lowest weighted dominant share (DRF over GPU,
//    CPU and memory of the ready nodes, divided by the tenant's weight); within a tenant, by
//    submit time then id. So two tenants with weights 1:3 that both keep the pool saturated
//    hold 25 % and 75 % of it.

#include <memory>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "core/queue/queue_options.h"
#include "core/queue/tenant_usage.h"
#include "core/state.h"

namespace fastgpu::core {

// One pass over the queue. Not thread-safe; the state, usage and options it was started with
// must outlive it and the state must not change during the pass.
class QueuePass {
 public:
  virtual ~QueuePass() = default;
  // The next job, or nullptr when every queued job was handed out once.
  virtual const QueuedJob* Next() = 0;
};

class QueueSorter {
 public:
  virtual ~QueueSorter() = default;
  virtual std::string_view name() const = 0;
  virtual std::unique_ptr<QueuePass> Start(const ClusterState& state, const TenantUsage& usage,
                                           const QueueOptions& options) const = 0;
};

// "drf" (default, also for "") or "fifo"; InvalidArgument naming field "sorter" otherwise.
Result<std::unique_ptr<QueueSorter>> MakeQueueSorter(std::string_view name);

}  // namespace fastgpu::core
