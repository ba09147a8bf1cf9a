#pragma once
// What each tenant holds now, and the arithmetic of shares and quotas over it. Pure; integers
// only (milli-GPUs, milli-CPUs, MiB); shares are compared as exact fractions.

#include <cstdint>
#include <map>
#include <string>

#include "core/model/resources.h"
#include "core/queue/queue_options.h"
#include "core/state.h"

namespace fastgpu::core {

// An amount of the three resources DRF looks at.
struct Usage {
  int64_t gpu_milli = 0;
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  void Add(const Usage& u, int sign) {
    gpu_milli += sign * u.gpu_milli;
    cpu_milli += sign * u.cpu_milli;
    memory_mib += sign * u.memory_mib;
  }
  bool operator==(const Usage&) const = default;
};

// What a request will hold: whole GPUs count 1000 each, a slice its gpu_milli; times its
// nodes for a multi-node job.
Usage UsageOf(const ResourceRequest& r);
// What a placement holds, over all its ranks.
Usage UsageOf(const Placement& p);

// Usage per tenant of every bound job, and the capacity of the ready nodes.
class TenantUsage {
 public:
  explicit TenantUsage(const ClusterState& state);

  const Usage& Of(const std::string& tenant) const;
  const Usage& capacity() const { return capacity_; }
  void Add(const std::string& tenant, const Usage& u, int sign) { by_tenant_[tenant].Add(u, sign); }

  // Whether `tenant`'s weighted dominant share is lower than `other`'s: the share of a tenant
  // is max(gpu/total gpu, cpu/total cpu, memory/total memory) over the ready capacity,
  // divided by its weight. Exact (128-bit cross products); equal shares compare false.
  bool LowerShare(const std::string& tenant, const std::string& other,
                  const QueueOptions& options) const;

  // Whether `tenant` holds less than its guaranteed GPUs.
  bool BelowGuarantee(const std::string& tenant, const QueueOptions& options) const;

  // "" when `tenant` may take `want` more without passing its max_gpus, or the reason it may
  // not: "over quota: tenant a holds 6 of its max 8 GPUs and this job needs 4".
  std::string QuotaBlock(const std::string& tenant, const Usage& want,
                         const QueueOptions& options) const;

 private:
  std::map<std::string, Usage> by_tenant_;
  Usage capacity_;
};

}  // namespace fastgpu::core
