#include "core/queue/tenant_fence.h"

namespace fastgpu::core {

TenantFence::TenantFence(const ClusterState& state, bool enabled) {
  if (!enabled) return;
  for (const NodeState& n : state.nodes()) {
    if (!n.spec().isolates_tenants) tenants_[n.spec().name];
  }
  if (tenants_.empty()) return;
  for (const auto& [id, bound] : state.running()) {
    auto it = tenants_.find(bound.placement.node);
    if (it != tenants_.end()) it->second.insert(bound.job.tenant);
  }
}

TenantFence::Hidden TenantFence::Hide(const std::string& tenant, NodePool& pool) const {
  Hidden hidden;
  for (const auto& [node, tenants] : tenants_) {
    bool other = !tenants.empty() && (tenants.size() > 1 || !tenants.contains(tenant));
    if (!other) continue;
    size_t slot = pool.Find(node);
    if (slot == NodePool::kNone || !pool.at(slot).ready) continue;
    hidden.emplace_back(slot, true);
    pool.SetReady(slot, false);
  }
  return hidden;
}

void TenantFence::Restore(const Hidden& hidden, NodePool& pool) {
  for (const auto& [slot, ready] : hidden) pool.SetReady(slot, ready);
}

void TenantFence::Placed(const std::string& tenant, const std::string& node) {
  auto it = tenants_.find(node);
  if (it != tenants_.end()) it->second.insert(tenant);
}

}  // namespace fastgpu::core
