#pragma once
// Human-readable reasons for the scheduler's kWait and kInfeasible decisions. Pure functions;
// the text is for people (job lists, `fastgpu jobs get`), not for parsing.

#include <map>
#include <string>

#include "core/model/resources.h"
#include "core/pool/node_pool.h"

namespace fastgpu::core {

// Why `r` does not fit the free capacity of `nodes` now, assuming the policy found no place:
// "no ready nodes", "waiting for 4 whole GPUs on one node; the most idle on one node is 2
// (fragmentation: 6 idle in total)", "waiting for a slice of 250 milli + 20GiB on one device;
// the largest free is 100 milli + 8GiB", or host cpu/memory. Says "fragmentation" when the
// ready nodes have enough free in total but not on one node (or device).
std::string WaitReason(const ResourceRequest& r, const NodePool& nodes);

// Why no node of `nodes` (ready or not) could ever hold `r`, built from FitsTotal's per-node
// reasons: "no node can ever hold it: needs 16 GPUs, node has 10".
std::string InfeasibleReason(const ResourceRequest& r,
                             const NodePool& nodes);

}  // namespace fastgpu::core
