#pragma once
// NodeState: one node as the scheduler sees it: its spec, whether it takes new work, and what
// bound jobs hold on it. A plain value. The spec is immutable and shared between copies, so
// copying a node (and a whole NodePool, once per Plan) costs no string copies.

#include <cstdint>
#include <memory>
#include <vector>

#include "core/model/resources.h"

namespace fastgpu::core {

struct NodeState {
  // An empty node (no name, no devices, nothing used).
  NodeState();
  // `spec` with its devices sorted by index, ready, nothing used.
  explicit NodeState(NodeSpec spec);

  const NodeSpec& spec() const { return *spec_ptr; }
  // Replaces the spec, keeping what is used on the devices whose index stays.
  void ReplaceSpec(NodeSpec spec);

  std::shared_ptr<const NodeSpec> spec_ptr;  // never null
  bool ready = true;
  std::vector<Slice> used;  // parallel to spec().devices: what bound jobs hold on each device
  int32_t used_cpu_milli = 0;
  int64_t used_memory_mib = 0;

  // Compares the specs by value, not by pointer.
  bool operator==(const NodeState& other) const;
};

}  // namespace fastgpu::core
