#pragma once
// BestFitPolicy ("bestfit"): the FGD paper's BestFit baseline. Among ready nodes that can
// hold the job now, the one left with the least free cpu and GPU, scored as the paper's
// simulator does:
//   score = trunc(100 * (1 - (0.5 * cpu_left / 128 CPUs + 0.5 * gpu_left_milli / 8 GPUs)))
// where *_left is what the node would have free after placing the job; the highest score
// wins and ties go to the first node by name. Inside the node: a slice goes to the tightest
// device (least free compute after placing, then least free memory; ties: lowest index),
// whole GPUs to the lowest-index idle devices of an allowed model.
// Deterministic; does not use the Rng. Keeps a cache of each recurring request's best node (ShapeCaches), so NOT safe for
// concurrent use: give each thread its own instance.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/policy/placement_policy.h"
#include "core/policy/shape_caches.h"

namespace fastgpu::core {

class BestFitPolicy final : public PlacementPolicy {
 public:
  static constexpr std::string_view kName = "bestfit";

  std::string_view name() const override { return kName; }
  std::optional<Placement> Place(const QueuedJob& job, const NodePool& nodes,
                                 Rng& rng) const override;

 private:
  mutable ShapeCaches caches_;  // see shape_caches.h
};

// The score above for a node with `cpu_left` milli-CPUs and `gpu_left` milli-GPUs free after
// placing (may be negative for nodes larger than 128 CPUs / 8 GPUs).
int64_t BestFitScore(int64_t cpu_left, int64_t gpu_left);

}  // namespace fastgpu::core
