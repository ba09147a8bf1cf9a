#pragma once
// PackPolicy ("pack"): the FGD paper's GpuPacking baseline, three tiers (higher wins, ties go
// to the first node by name):
//  1. a slice that fits on an already partly used device: 100 - (that device's idle %) / 10;
//  2. a job that takes fully idle devices on a node whose GPUs are partly in use:
//     50 - number of idle devices taken (at least 33);
//  3. a node whose devices are all idle: 33 - its device count (at least the count), so
//     smaller nodes are opened first.
// A job with no GPU scores the same everywhere: the first node by name that holds it.
// Inside the node: the tightest device for a slice, the lowest-index idle devices for whole
// GPUs. Deterministic; does not use the Rng. Keeps a cache of each recurring request's best node (ShapeCaches), so NOT safe for
// concurrent use: give each thread its own instance.

#include <optional>
#include <string>
#include <string_view>

#include "core/policy/placement_policy.h"
#include "core/policy/shape_caches.h"

namespace fastgpu::core {

class PackPolicy final : public PlacementPolicy {
 public:
  static constexpr std::string_view kName = "pack";

  std::string_view name() const override { return kName; }
  std::optional<Placement> Place(const QueuedJob& job, const NodePool& nodes,
                                 Rng& rng) const override;

 private:
  mutable ShapeCaches caches_;  // see shape_caches.h
};

}  // namespace fastgpu::core
