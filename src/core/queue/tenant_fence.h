#pragma once
// TenantFence: keeps a node that cannot isolate tenants' jobs from one another
// (NodeSpec::isolates_tenants false) to one tenant at a time, when
// QueueOptions::single_tenant_unisolated asks for it. While such a node holds a job of one
// tenant (bound before this Plan or placed during it), it is hidden from the placement of any
// other tenant's job. Other nodes are never touched, so the common case (every node isolates)
// costs nothing. Pure; one per Plan.

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/pool/node_pool.h"
#include "core/state.h"

namespace fastgpu::core {

class TenantFence {
 public:
  TenantFence(const ClusterState& state, bool enabled);

  // What Hide() changed, to hand back to Restore().
  using Hidden = std::vector<std::pair<size_t, bool>>;  // slot, readiness before
  // Marks not ready the nodes of `pool` that `tenant` may not use now.
  Hidden Hide(const std::string& tenant, NodePool& pool) const;
  static void Restore(const Hidden& hidden, NodePool& pool);
  // A job of `tenant` was placed on `node` in this Plan.
  void Placed(const std::string& tenant, const std::string& node);

 private:
  std::map<std::string, std::set<std::string>> tenants_;  // unisolated node -> its tenants
};

}  // namespace fastgpu::core
