#include "core/queue/tenant_usage.h"

#include <algorithm>

#include "core/capacity.h"
#include "core/model/gang.h"

namespace fastgpu::core {
namespace {

__extension__ typedef __int128 Wide;  // exact cross products of 64-bit shares

// A fraction num/den; den > 0.
struct Fraction {
  int64_t num = 0;
  int64_t den = 1;
};

bool Less(const Fraction& a, const Fraction& b) {
  return static_cast<Wide>(a.num) * b.den < static_cast<Wide>(b.num) * a.den;
}

Fraction Share(int64_t used, int64_t total) {
  if (total <= 0) return Fraction{0, 1};
  return Fraction{used, total};
}

Fraction Dominant(const Usage& u, const Usage& cap) {
  Fraction best = Share(u.gpu_milli, cap.gpu_milli);
  for (Fraction f : {Share(u.cpu_milli, cap.cpu_milli), Share(u.memory_mib, cap.memory_mib)}) {
    if (Less(best, f)) best = f;
  }
  return best;
}

std::string Gpus(int64_t milli) { return FormatGpuMilli(milli) + (milli == 1000 ? " GPU" : " GPUs"); }

}  // namespace

Usage UsageOf(const ResourceRequest& r) {
  Usage u;
  if (r.gpu_count > 0) {
    u.gpu_milli = r.WantsWholeGpus() ? int64_t{r.gpu_count} * kWholeGpuMilli : r.gpu_milli;
  }
  u.cpu_milli = r.cpu_milli;
  u.memory_mib = r.memory_mib;
  const int64_t nodes = std::max(1, r.nodes);
  return Usage{u.gpu_milli * nodes, u.cpu_milli * nodes, u.memory_mib * nodes};
}

Usage UsageOf(const Placement& p) {
  Usage u;
  for (const Placement* part : Ranks(p)) {
    for (const DeviceGrant& g : part->devices) u.gpu_milli += g.slice.milli;
    u.cpu_milli += part->cpu_milli;
    u.memory_mib += part->memory_mib;
  }
  return u;
}

TenantUsage::TenantUsage(const ClusterState& state) {
  for (const auto& [id, bound] : state.running()) {
    by_tenant_[bound.job.tenant].Add(UsageOf(bound.placement), +1);
  }
  for (const NodeState& node : state.nodes()) {
    if (!node.ready) continue;
    capacity_.gpu_milli += static_cast<int64_t>(node.spec().devices.size()) * kWholeGpuMilli;
    capacity_.cpu_milli += node.spec().cpu_milli;
    capacity_.memory_mib += node.spec().memory_mib;
  }
}

const Usage& TenantUsage::Of(const std::string& tenant) const {
  static const Usage kNone;
  auto it = by_tenant_.find(tenant);
  return it == by_tenant_.end() ? kNone : it->second;
}

bool TenantUsage::LowerShare(const std::string& tenant, const std::string& other,
                             const QueueOptions& options) const {
  Fraction a = Dominant(Of(tenant), capacity_);
  Fraction b = Dominant(Of(other), capacity_);
  a.den *= std::max(options.Tenant(tenant).weight, 1);
  b.den *= std::max(options.Tenant(other).weight, 1);
  return Less(a, b);
}

bool TenantUsage::BelowGuarantee(const std::string& tenant, const QueueOptions& options) const {
  return Of(tenant).gpu_milli <
         int64_t{options.Tenant(tenant).guaranteed_gpus} * kWholeGpuMilli;
}

std::string TenantUsage::QuotaBlock(const std::string& tenant, const Usage& want,
                                    const QueueOptions& options) const {
  const int32_t max_gpus = options.Tenant(tenant).max_gpus;
  if (max_gpus < 0 || want.gpu_milli == 0) return "";
  const int64_t held = Of(tenant).gpu_milli;
  const int64_t cap = int64_t{max_gpus} * kWholeGpuMilli;
  if (held + want.gpu_milli <= cap) return "";
  return "over quota: tenant " + tenant + " holds " + FormatGpuMilli(held) + " of its max " +
         Gpus(cap) + " and this job needs " + FormatGpuMilli(want.gpu_milli);
}

}  // namespace fastgpu::core
