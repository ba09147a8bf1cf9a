#pragma once
// FgdPolicy: Fragmentation Gradient Descent (Weng et al., USENIX ATC '23) and our refinement.
//
// "fgd": for each ready node that can host the job, the placement (for a slice: the device)
// that makes the node's fragmentation F_n (core/policy/fragmentation.h) grow least; the node
// score is int(100 * sigmoid((F_before - F_after) / 1000)) as in the paper's simulator, the
// highest score wins and ties go to the first node by name (the simulator's first-fit order).
// Whole GPUs take the lowest-index idle devices.
//
// "fgd+" (the default): the same gradient and score, compared at half resolution (score / 2),
// so that nodes whose fragmentation growth differs only slightly tie and go to the first node
// in order. First-fit among near-equal gradients packs work onto fewer nodes, which keeps whole
// nodes free for multi-GPU jobs; FGD's own gain over random tie-breaking comes from the same
// effect (EXPERIMENT.md: 95.2 % with first-fit ties, ~90 % with random ties). Measured in
// docs/scheduler.md.
//
// The workload profile (typical tasks) is given at construction. Evaluations are memoised per
// node and request shape, and reused while the node's usage is unchanged, so the policy is NOT
// safe for concurrent use: give each thread its own instance.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/policy/placement_policy.h"
#include "core/policy/workload_profile.h"

namespace fastgpu::core {

class FgdPolicy final : public PlacementPolicy {
 public:
  enum class Variant { kPaper, kPlus };
  static constexpr std::string_view kPaperName = "fgd";
  static constexpr std::string_view kPlusName = "fgd+";

  FgdPolicy(WorkloadProfile profile, Variant variant);

  std::string_view name() const override;
  std::optional<Placement> Place(const QueuedJob& job,
                                 const std::map<std::string, NodeState>& nodes,
                                 Rng& rng) const override;

 private:
  // The best placement of one request shape on one node in its current state.
  struct Eval {
    bool feasible = false;
    double delta = 0;  // F_after - F_before
    std::vector<size_t> positions;
  };
  struct NodeMemo {
    std::vector<Slice> used;
    int32_t used_cpu_milli = 0;
    std::vector<DeviceSpec> devices;
    int32_t cpu_milli = 0;
    double before = 0;
    std::vector<std::pair<int, Eval>> evals;  // by shape id
  };

  const Eval& EvalFor(const NodeState& node, int shape_id, const ResourceRequest& r) const;
  Eval Evaluate(const NodeState& node, double before, const ResourceRequest& r) const;
  int ShapeId(const ResourceRequest& r) const;

  WorkloadProfile profile_;
  Variant variant_;
  mutable std::unordered_map<std::string, NodeMemo> memo_;
  mutable std::map<std::pair<TaskShape, int64_t>, int> shape_ids_;
};

}  // namespace fastgpu::core
