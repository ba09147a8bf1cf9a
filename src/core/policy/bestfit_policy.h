#pragma once
// BestFitPolicy ("bestfit"): packs jobs tightly so that large requests find room later.
//  - Whole GPUs: among ready nodes with enough fully idle devices of an allowed model and the
//    host cpu/memory free, the node that is left with the fewest idle devices (ties: node
//    name); on it, the lowest-index idle devices.
//  - A slice: among all devices of ready nodes with the compute and memory free, the one left
//    with the least free compute, then the least free memory (ties: node name, device index).
//  - No GPU: the ready node with the most free cpu that has the cpu/memory (ties: node name);
//    the first ready node by name when nothing is requested.
// Deterministic; does not use the Rng. Stateless, so safe for concurrent use.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/policy/placement_policy.h"

namespace fastgpu::core {

class BestFitPolicy final : public PlacementPolicy {
 public:
  static constexpr std::string_view kName = "bestfit";

  std::string_view name() const override { return kName; }
  std::optional<Placement> Place(const QueuedJob& job,
                                 const std::map<std::string, NodeState>& nodes,
                                 Rng& rng) const override;
};

}  // namespace fastgpu::core
