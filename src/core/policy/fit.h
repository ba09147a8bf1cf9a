#pragma once
// Feasibility helpers shared by the placement policies: which devices of one node a request
// may use, and building the Placement. Pure functions over plain values.

#include <cstddef>
#include <vector>

#include "core/model/resources.h"
#include "core/state.h"

namespace fastgpu::core {

// Whether `n` is ready and has r's host cpu and memory free.
bool NodeUsable(const ResourceRequest& r, const NodeState& n);

// For a whole-GPU request: the positions of the gpu_count lowest-index fully idle devices of
// an allowed model, or an empty vector when the node has fewer.
std::vector<size_t> LowestIdleDevices(const ResourceRequest& r, const NodeState& n);

// For a slice request: the positions of every device that can hold the slice now.
std::vector<size_t> SliceDevices(const ResourceRequest& r, const NodeState& n);

// Whether `n` (ready, host resources free) can hold `r` now on some device(s).
bool CanHost(const ResourceRequest& r, const NodeState& n);

// The placement of `r` on `n` using the devices at `positions` (sorted by index by the
// caller or not; the result's grants are sorted by index).
Placement BuildPlacement(const ResourceRequest& r, const NodeState& n,
                         const std::vector<size_t>& positions);

// The slice device of `positions` left with the least free compute, then the least free
// memory (ties: lowest position). `positions` must not be empty.
size_t TightestDevice(const ResourceRequest& r, const NodeState& n,
                      const std::vector<size_t>& positions);

}  // namespace fastgpu::core
