#include "core/reasons.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <tuple>
#include <vector>

#include "common/units.h"
#include "core/capacity.h"
#include "core/policy/fit.h"
#include "core/policy/placement_policy.h"

namespace fastgpu::core {
namespace {

constexpr size_t kMaxNodesInReason = 3;

std::string HostWant(const ResourceRequest& r) {
  return FormatCpuMilli(r.cpu_milli) + " and " + FormatMiB(r.memory_mib) + " of memory";
}

std::string OfModel(const ResourceRequest& r) {
  return r.gpu_models.empty() ? "" : " of model " + ModelList(r);
}

std::string WholeWait(const ResourceRequest& r, const NodePool& nodes) {
  int64_t most = 0;
  int64_t total = 0;
  for (const NodeState& node : nodes) {
    if (!node.ready) continue;
    int64_t idle = 0;
    for (size_t pos = 0; pos < node.spec().devices.size(); ++pos) {
      if (IsIdle(node, pos) && ModelAllowed(r, node.spec().devices[pos])) ++idle;
    }
    most = std::max(most, idle);
    total += idle;
  }
  if (most >= r.gpu_count) {
    return "waiting for host resources: no node with " + GpuCount(r.gpu_count) +
           " idle has " + HostWant(r) + " free";
  }
  std::string out = "waiting for " + std::to_string(r.gpu_count) + " whole " +
                    (r.gpu_count == 1 ? "GPU" : "GPUs") + OfModel(r) +
                    " on one node; the most idle on one node is " + std::to_string(most);
  if (total >= r.gpu_count) out += " (fragmentation: " + std::to_string(total) + " idle in total)";
  return out;
}

std::string SliceWait(const ResourceRequest& r, const NodePool& nodes) {
  std::tuple<int64_t, int64_t> largest{-1, -1};  // free milli, free memory of one device
  int64_t total_milli = 0;
  int64_t total_memory = 0;
  int64_t least_need = INT64_MAX;  // the smallest memory the slice takes on any device
  for (const NodeState& node : nodes) {
    if (!node.ready) continue;
    for (size_t pos = 0; pos < node.spec().devices.size(); ++pos) {
      if (!ModelAllowed(r, node.spec().devices[pos])) continue;
      if (SliceFits(r, node, pos)) {
        return "waiting for host resources: no node with a free slice has " + HostWant(r) +
               " free";
      }
      largest = std::max(largest, std::tuple<int64_t, int64_t>{FreeMilli(node, pos),
                                                                FreeMemory(node, pos)});
      total_milli += FreeMilli(node, pos);
      total_memory += FreeMemory(node, pos);
      least_need = std::min(least_need, SliceOn(r, node.spec().devices[pos]).memory_mib);
    }
  }
  if (std::get<0>(largest) < 0) return "waiting for a ready node with a GPU" + OfModel(r);
  const std::string memory =
      r.gpu_memory_mib > 0 ? FormatMiB(r.gpu_memory_mib) : "proportional memory";
  std::string out = "waiting for a slice of " + std::to_string(r.gpu_milli) + " milli + " +
                    memory + " on one device" + OfModel(r) + "; the largest free is " +
                    std::to_string(std::get<0>(largest)) + " milli + " +
                    FormatMiB(std::get<1>(largest));
  if (total_milli >= r.gpu_milli && total_memory >= least_need) {
    out += " (fragmentation: " + std::to_string(total_milli) + " milli + " +
           FormatMiB(total_memory) + " free in total)";
  }
  return out;
}

std::string HostWait(const ResourceRequest& r, const NodePool& nodes) {
  const NodeState* most = nullptr;
  int64_t total_cpu = 0;
  int64_t total_memory = 0;
  for (const NodeState& node : nodes) {
    if (!node.ready) continue;
    if (most == nullptr || FreeCpu(node) > FreeCpu(*most)) most = &node;
    total_cpu += FreeCpu(node);
    total_memory += FreeHostMemory(node);
  }
  std::string out = "waiting for " + HostWant(r) + " on one node; the most free is " +
                    FormatCpuMilli(FreeCpu(*most)) + " and " + FormatMiB(FreeHostMemory(*most));
  if (total_cpu >= r.cpu_milli && total_memory >= r.memory_mib) out += " (fragmentation)";
  return out;
}

}  // namespace

// A gang waits for enough nodes that can each hold one rank.
static std::string GangWait(const ResourceRequest& r, const NodePool& nodes) {
  ResourceRequest rank = r;
  rank.nodes = 1;
  int64_t can = 0;
  for (const NodeState& node : nodes) can += CanHost(rank, node) ? 1 : 0;
  std::string out = "waiting for " + std::to_string(r.nodes) + " nodes that can each hold one rank (" +
                    (KindOf(r) == RequestKind::kWholeGpus ? GpuCount(r.gpu_count) + " and " : "") +
                    HostWant(r) + "); " + std::to_string(can) + (can == 1 ? " node can" : " nodes can") +
                    " now";
  if (can == 0) out += ": " + WaitReason(rank, nodes);
  return out;
}

std::string WaitReason(const ResourceRequest& r, const NodePool& nodes) {
  if (nodes.empty()) return "no nodes registered";
  if (r.nodes > 1 && std::any_of(nodes.begin(), nodes.end(),
                                 [](const NodeState& node) { return node.ready; })) {
    return GangWait(r, nodes);
  }
  const bool any_ready = std::any_of(nodes.begin(), nodes.end(),
                                     [](const NodeState& node) { return node.ready; });
  if (!any_ready) return "no ready nodes (" + std::to_string(nodes.size()) + " registered)";
  switch (KindOf(r)) {
    case RequestKind::kWholeGpus:
      return WholeWait(r, nodes);
    case RequestKind::kSlice:
      return SliceWait(r, nodes);
    case RequestKind::kNoGpu:
      return HostWait(r, nodes);
  }
  return "waiting";
}

std::string InfeasibleReason(const ResourceRequest& r,
                             const NodePool& nodes) {
  const std::string shape = RequestShapeError(r);
  if (!shape.empty()) return "invalid request: " + shape;
  QueuedJob probe;
  probe.request = r;
  std::vector<std::pair<std::string, std::string>> misfits;  // node, reason
  std::set<std::string> distinct;
  for (const NodeState& node : nodes) {
    std::string why;
    if (FitsTotal(probe, node.spec(), &why)) continue;
    misfits.emplace_back(node.spec().name, why);
    distinct.insert(why);
  }
  std::string out = "no node can ever hold it: ";
  const int64_t fit = static_cast<int64_t>(nodes.size() - misfits.size());
  if (r.nodes > 1 && fit > 0) {
    return "not enough nodes can ever hold it: it needs " + std::to_string(r.nodes) +
           " nodes that can each hold one rank, and " + std::to_string(fit) +
           (fit == 1 ? " node can" : " nodes can");
  }
  if (distinct.size() == 1) return out + *distinct.begin();
  for (size_t i = 0; i < misfits.size() && i < kMaxNodesInReason; ++i) {
    out += (i == 0 ? "" : "; ") + misfits[i].first + ": " + misfits[i].second;
  }
  if (misfits.size() > kMaxNodesInReason) {
    out += "; and " + std::to_string(misfits.size() - kMaxNodesInReason) + " more nodes";
  }
  return out;
}

}  // namespace fastgpu::core
