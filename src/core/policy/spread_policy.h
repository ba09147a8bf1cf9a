#pragma once
// SpreadPolicy ("spread"): load balancing, the seed design's model p_i = (1/n) sum_j w_ij:
// a node's load is the mean of its used fractions of GPU compute, cpu and host memory (each in
// per-mille, integers), and the job goes to the ready node with the lowest load that can hold
// it (ties: node name). Inside the node: a slice goes to the device with the most free compute
// (then memory; ties: lowest index), whole GPUs to the lowest-index idle devices.
// Deterministic; does not use the Rng. Stateless, so safe for concurrent use.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/policy/placement_policy.h"

namespace fastgpu::core {

class SpreadPolicy final : public PlacementPolicy {
 public:
  static constexpr std::string_view kName = "spread";

  std::string_view name() const override { return kName; }
  std::optional<Placement> Place(const QueuedJob& job,
                                 const std::map<std::string, NodeState>& nodes,
                                 Rng& rng) const override;
};

// The node's load in per-mille (0 idle .. 1000 full): the mean of the used fractions of the
// resources the node has (GPU compute, cpu, host memory).
int64_t LoadPerMille(const NodeState& n);

}  // namespace fastgpu::core
