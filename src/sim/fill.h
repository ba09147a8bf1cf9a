#pragma once
// The FGD paper's "fill" experiment (docs/scheduler.md, EXPERIMENT.md of the trace): for one
// policy and one seed, shuffle the tasks, append uniform random clones until the requested GPU
// reaches `inflate` x the cluster's GPUs, and place the tasks one at a time through a core
// PlacementPolicy and ClusterState::Apply, with no departures and no retries (a task that fits
// nowhere is dropped). Nodes are renamed "NNNN-<name>" with a seeded permutation, so the
// policies' name-order tie-break is first-fit in a random per-seed node order, as in the
// paper's simulator. The loop does no I/O.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "core/model/resources.h"
#include "core/policy/workload_profile.h"

namespace fastgpu::sim {

struct FillInput {
  std::vector<core::NodeSpec> nodes;
  std::vector<core::ResourceRequest> tasks;  // the original trace, in file order
  core::WorkloadProfile workload;            // typical tasks, from the original trace
  double inflate = 1.3;
};

struct FillRun {
  std::string policy;
  uint64_t seed = 0;
  // alloc_pct[a]: mean allocated GPU (milli / capacity, %) over the tasks whose cumulative
  // arrived GPU rounds to a % of capacity; buckets no task fell in repeat the previous value.
  std::vector<double> alloc_pct;
  int64_t tasks = 0;
  int64_t placed = 0;
};

// Total GPU milli of the nodes (1000 per device).
int64_t CapacityMilli(const std::vector<core::NodeSpec>& nodes);

// The task order of one seed: the shuffled originals followed by the clones.
std::vector<core::ResourceRequest> SeededTasks(const FillInput& input, uint64_t seed);

// One run. InvalidArgument for an unknown policy name or a cluster without GPUs.
Result<FillRun> RunFill(const FillInput& input, const std::string& policy, uint64_t seed);

// Every (policy, seed) pair, spread over `threads` threads (at least 1); results ordered by
// policy as given, then seed. The first error, if any.
Result<std::vector<FillRun>> RunFills(const FillInput& input,
                                      const std::vector<std::string>& policies,
                                      const std::vector<uint64_t>& seeds, int threads);

}  // namespace fastgpu::sim
