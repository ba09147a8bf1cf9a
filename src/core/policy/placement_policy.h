#pragma once
// PlacementPolicy: where one job should go, given what is free. Pure: no I/O, no clock.
// Implementations are chosen by name through MakePlacementPolicy().

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/rng.h"
#include "core/model/resources.h"
#include "core/policy/workload_profile.h"
#include "core/pool/node_pool.h"

namespace fastgpu::core {

class PlacementPolicy {
 public:
  virtual ~PlacementPolicy() = default;
  virtual std::string_view name() const = 0;
  // Returns a placement on one ready node of `nodes` whose free capacity (spec minus used)
  // holds `job`, or nullopt when none does now. Never changes `nodes`.
  // Devices are chosen inside the node too (whole GPUs only on fully idle devices; a slice
  // only on one device). Ties are broken by node name then device index, never by map order.
  // Policies search the pool's free-capacity index (core/pool/node_pool.h) rather than
  // visiting every node where they can.
  virtual std::optional<Placement> Place(const QueuedJob& job, const NodePool& nodes,
                                         Rng& rng) const = 0;
};

// What a policy may be told about its environment when it is made.
struct PolicyOptions {
  // The workload's task shapes, all of them, that fragmentation-aware policies ("fgd",
  // "fgd+") plan for (fgd takes FGD's typical 95 % of them itself); when unset they use
  // GenericWorkloadProfile(). The simulator builds it from the trace
  // (BuildWorkloadProfile(tasks)); a server can build it from recent submissions.
  std::optional<WorkloadProfile> workload;
};

// Makes the policy called `name`: "bestfit", "pack", "spread", "fgd", "random", or "fgd+"
// (the default, also for ""). Returns InvalidArgument naming field "policy" for an unknown
// name.
Result<std::unique_ptr<PlacementPolicy>> MakePlacementPolicy(std::string_view name,
                                                             const PolicyOptions& options = {});

// The name "" stands for.
std::string_view DefaultPlacementPolicyName();

// The names MakePlacementPolicy accepts (besides "" for the default), in a fixed order.
std::vector<std::string_view> PlacementPolicyNames();

// Whether `job` could fit on `node` if the node were empty (its total capacity), and
// when not, a short reason ("needs 16 GPUs, node has 10"). For a multi-node job this is
// about one of its ranks.
bool FitsTotal(const QueuedJob& job, const NodeSpec& node, std::string* reason);

// Whether enough nodes of `nodes` (ready or not) could ever hold `job`: one, or
// job.request.nodes distinct ones for a multi-node job.
bool CouldEverFit(const QueuedJob& job, const NodePool& nodes);

}  // namespace fastgpu::core
