#pragma once
// SpreadPolicy ("spread"): load balancing, the seed design's model p_i = (1/n) sum_j w_ij:
// a node's load is the mean of its used fractions of GPU compute, cpu and host memory (each in
// per-mille, integers), and the job goes to the ready node with the lowest load that can hold
// it (ties: node name). Inside the node: a slice goes to the device with the most free compute
// (then memory; ties: lowest index), whole GPUs to the lowest-index idle devices.
// Deterministic; does not use the Rng. It searches the pool's index by the least load of each
// group (tight for spread, so no per-request cache is needed). Stateless, so safe for
// concurrent use.

#include <optional>
#include <string>
#include <string_view>

#include "core/capacity.h"  // LoadPerMille
#include "core/policy/placement_policy.h"

namespace fastgpu::core {

class SpreadPolicy final : public PlacementPolicy {
 public:
  static constexpr std::string_view kName = "spread";

  std::string_view name() const override { return kName; }
  std::optional<Placement> Place(const QueuedJob& job, const NodePool& nodes,
                                 Rng& rng) const override;
};

}  // namespace fastgpu::core
