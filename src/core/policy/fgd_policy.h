#pragma once
// FgdPolicy: Fragmentation Gradient Descent (Weng et al., USENIX ATC '23) and our refinement.
//
// "fgd": for each ready node that can host the job, the placement (for a slice: the device)
// that makes the node's fragmentation F_n (core/policy/fragmentation.h) grow least; the node
// score is int(100 * sigmoid((F_before - F_after) / 1000)) as in the paper's simulator, the
// highest score wins and ties go to the first node by name (the simulator's first-fit order).
// Whole GPUs take the lowest-index idle devices.
//
// "fgd+" (the default): the same gradient and score. A slice goes to the best score (first
// node on ties), as in fgd; a whole-GPU or CPU-only request goes to the first node in order
// whose score is within 1 point of the best. Near-equal gradients of such requests are noise
// next to the value of packing them consistently onto the same nodes, which keeps whole nodes
// free for multi-GPU jobs (FGD's own gain over random tie-breaking comes from that effect:
// EXPERIMENT.md, 95.2 % with first-fit ties, ~90 % with random ties); a slice's gradients
// differ by little but tell which partly used device it completes, so they are kept exact.
// Measured in docs/scheduler.md.
//
// Cost: a node's score for a request depends only on the node's state, so each request shape
// keeps its best node in a BestNodeCache (ShapeCaches): after a placement only the changed
// node is scored again, and nodes in the same state (same stamp) share one evaluation. The
// caches make the policy NOT safe for concurrent use: give each thread its own instance.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/policy/fragmentation.h"
#include "core/policy/placement_policy.h"
#include "core/policy/shape_caches.h"
#include "core/policy/workload_profile.h"

namespace fastgpu::core {

class FgdPolicy final : public PlacementPolicy {
 public:
  enum class Variant { kPaper, kPlus };
  static constexpr std::string_view kPaperName = "fgd";
  static constexpr std::string_view kPlusName = "fgd+";

  FgdPolicy(WorkloadProfile profile, Variant variant);

  std::string_view name() const override;
  std::optional<Placement> Place(const QueuedJob& job, const NodePool& nodes,
                                 Rng& rng) const override;

 private:
  static constexpr int64_t kCannot = INT64_MIN;
  // The node's score for `r` (kCannot when it cannot host it), and the devices it would take
  // in *positions when not null.
  int64_t Score(const NodeState& n, const ResourceRequest& r, std::vector<size_t>* positions) const;
  const FragmentationMeter& MeterFor(const NodeState& n) const;

  WorkloadProfile profile_;
  Variant variant_;
  mutable ShapeCaches caches_{/*warmup=*/1};
  // Meters by the devices' models, and a shortcut by spec (the pointer is kept alive).
  mutable std::map<std::vector<std::string>, FragmentationMeter> meters_;
  mutable std::unordered_map<const NodeSpec*,
                             std::pair<std::shared_ptr<const NodeSpec>, const FragmentationMeter*>>
      meter_of_spec_;
};

}  // namespace fastgpu::core
