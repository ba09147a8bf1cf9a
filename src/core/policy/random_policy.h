#pragma once
// RandomPolicy ("random"): the FGD paper's baseline. Among the ready nodes that can hold the
// job (taken in name order), one drawn uniformly with the Rng; inside it, a slice goes to a
// uniformly drawn fitting device and whole GPUs to the lowest-index idle devices.
// Stateless, so safe for concurrent use (the Rng is the caller's).

#include <optional>
#include <string>
#include <string_view>

#include "core/policy/placement_policy.h"

namespace fastgpu::core {

class RandomPolicy final : public PlacementPolicy {
 public:
  static constexpr std::string_view kName = "random";

  std::string_view name() const override { return kName; }
  std::optional<Placement> Place(const QueuedJob& job, const NodePool& nodes,
                                 Rng& rng) const override;
};

}  // namespace fastgpu::core
