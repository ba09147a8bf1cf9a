#pragma once
// Options of the queue: tenants' weights and quotas, and the scheduler's switches. Plain
// values, passed to core::Scheduler at construction; the server reads them from its config
// file (see docs/scheduler.md). No I/O.

#include <cstdint>
#include <map>
#include <string>

namespace fastgpu::core {

// What one tenant is entitled to. GPUs count whole GPUs; a slice counts its compute share
// (a 250-milli slice is 0.25 GPU).
struct TenantPolicy {
  int32_t weight = 1;           // DRF weight: a tenant with weight 3 gets 3x the share of 1
  int32_t guaranteed_gpus = 0;  // held for this tenant: its work up to this is never preempted
                                // for borrowers, and it may preempt borrowed work to reach it
  int32_t max_gpus = -1;        // hard cap on what it holds at once; -1: none
  int32_t max_running_jobs = -1;  // hard cap on its jobs bound at once; -1: none
  bool operator==(const TenantPolicy&) const = default;
};

struct QueueOptions {
  std::map<std::string, TenantPolicy> tenants;  // tenants not listed get default_tenant
  TenantPolicy default_tenant;
  std::string sorter = "drf";   // queue order: "drf" (weighted fair share) or "fifo"
  bool backfill = true;         // EASY backfill behind a reservation for the first blocked job;
                                // false: strict order, nothing runs ahead of a blocked job
  bool preemption = true;       // preempt lower-priority or borrowed work
  int64_t preemption_grace_ms = 30000;  // how long a victim is given to stop: its resources
                                        // are expected back (for reservations) after this
  int32_t max_preemptors_per_plan = 8;  // bounds the work one Plan spends on preemption
  // A node that does not isolate tenants (NodeSpec::isolates_tenants false) takes no job of a
  // tenant while it holds a job of another (see tenant_fence.h). false: such nodes are shared.
  bool single_tenant_unisolated = false;
  // Multi-node jobs get a rendezvous port (MASTER_PORT) on their rank-0 node: the lowest of
  // [base, base + count) that no other multi-node job holds there.
  int32_t rendezvous_port_base = 29500;
  int32_t rendezvous_ports = 500;

  const TenantPolicy& Tenant(const std::string& name) const {
    auto it = tenants.find(name);
    return it == tenants.end() ? default_tenant : it->second;
  }
};

}  // namespace fastgpu::core
