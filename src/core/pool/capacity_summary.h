#pragma once
// CapacitySummary: what a node, or a group of nodes, has free, reduced to the bounds that let
// a search skip the group. Merging two summaries gives the summary of their union, so a tree
// of them over the nodes (NodePool) answers "could any node below hold this request?" and
// "what is the best score any node below could reach?" without visiting the nodes.
//
// Every field is a bound over the READY nodes of the group: maxima are -1 and minima their
// type's maximum when the group has none. The bounds are necessary conditions only (a group
// whose bounds admit a request may still have no node that holds it: the largest free device
// and the most idle devices may sit on different nodes); policies check the node itself.
// Pure; integers only.

#include <cstdint>
#include <limits>

#include "core/capacity.h"
#include "core/model/resources.h"
#include "core/pool/node_state.h"

namespace fastgpu::core {

// Summaries keep the minima that bound the scores of bestfit and spread per "level", a
// coarse class of what a node can still take: levels 0..7 hold the nodes with a device of at
// least L * 125 milli free (level 0: every ready node), levels 8..11 the nodes with at least
// 1, 2, 4 or 8 fully idle devices. A request looks only at the nodes of its level, so nodes
// too full to hold it do not loosen its bound.
inline constexpr int kCapacityLevels = 12;

struct CapacitySummary {
  int32_t max_idle_devices = -1;  // fully idle devices on one node
  int32_t max_device_milli = -1;  // free compute of one device
  int64_t max_device_memory = -1; // free memory of one device
  uint64_t models = 0;            // model bits (NodePool::ModelBits) of the devices
  CapacitySummary();
  // Per level: the most free cpu and host memory on one node, the smallest FitKey (cpu + 16 x
  // GPU free) and the smallest LoadPerMille.
  int32_t max_cpu_free[kCapacityLevels];
  int64_t max_memory_free[kCapacityLevels];
  int64_t min_fit_key[kCapacityLevels];
  int32_t min_load[kCapacityLevels];
  // Bit b is set when some device that is in use (not idle) has free compute f with
  // f * 32 / 1001 == b: lets "the tightest partly used device" be bounded from below.
  uint32_t used_device_bins = 0;
  int32_t max_idle_on_used_node = -1;  // idle devices of a node with some device in use
  int32_t min_devices_idle_node = std::numeric_limits<int32_t>::max();  // of nodes with every
  int32_t max_devices_idle_node = -1;                                   // device idle

  // The summary of this group together with `other`.
  void Merge(const CapacitySummary& other);
  bool operator==(const CapacitySummary&) const = default;
};

// Bin of the used_device_bins bitmap for a free compute of `milli` (0..1000), and the
// smallest free compute that falls in bin `bin`.
int BinOfMilli(int32_t milli);
int32_t LowestMilliOfBin(int bin);

// The summary of one node; `models` is the OR of its devices' model bits.
CapacitySummary SummarizeNode(const NodeState& node, uint64_t models);

// A request reduced to what summaries can check: host resources, device count and per-device
// compute and explicit memory, and the allowed model bits (every bit when any model will do).
struct RequestFilter {
  int32_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int32_t idle_devices = 0;   // whole GPUs: this many fully idle devices on one node
  int32_t device_milli = -1;  // a slice: one device with this much compute free; -1: none
  int64_t device_memory = 0;  // a slice with explicit memory: that much free on the device
  uint64_t models = ~uint64_t{0};
  int level = 0;              // the capacity level every node that may hold it is in
};

// The level of a request (see kCapacityLevels): kind and count as in capacity.h.
int LevelOf(RequestKind kind, int32_t gpu_count, int32_t gpu_milli);

// Whether some ready node summarised by `s` might hold the request of `f`.
bool MayHost(const CapacitySummary& s, const RequestFilter& f);

}  // namespace fastgpu::core
