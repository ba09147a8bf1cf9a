#include "core/policy/bestfit_policy.h"

#include <cstdint>
#include <tuple>
#include <vector>

#include "core/capacity.h"

namespace fastgpu::core {
namespace {

Placement HostPart(const ResourceRequest& r, const std::string& node) {
  Placement p;
  p.node = node;
  p.cpu_milli = r.cpu_milli;
  p.memory_mib = r.memory_mib;
  return p;
}

std::optional<Placement> PlaceWhole(const ResourceRequest& r,
                                    const std::map<std::string, NodeState>& nodes) {
  const NodeState* best = nullptr;
  std::vector<size_t> best_devices;
  size_t best_left = 0;
  for (const auto& [name, node] : nodes) {  // ordered by name: strict '<' keeps the first
    if (!node.ready || !HostFits(r, node)) continue;
    std::vector<size_t> idle_allowed;
    size_t idle_total = 0;
    for (size_t pos = 0; pos < node.spec.devices.size(); ++pos) {
      if (!IsIdle(node, pos)) continue;
      ++idle_total;
      if (ModelAllowed(r, node.spec.devices[pos])) idle_allowed.push_back(pos);
    }
    const size_t want = static_cast<size_t>(r.gpu_count);
    if (idle_allowed.size() < want) continue;
    const size_t left = idle_total - want;
    if (best == nullptr || left < best_left) {
      best = &node;
      best_left = left;
      best_devices.assign(idle_allowed.begin(), idle_allowed.begin() + want);
    }
  }
  if (best == nullptr) return std::nullopt;
  Placement p = HostPart(r, best->spec.name);
  for (size_t pos : best_devices) {
    const DeviceSpec& d = best->spec.devices[pos];
    p.devices.push_back(DeviceGrant{d.index, d.uuid, SliceOn(r, d)});
  }
  return p;
}

std::optional<Placement> PlaceSlice(const ResourceRequest& r,
                                    const std::map<std::string, NodeState>& nodes) {
  const NodeState* best = nullptr;
  size_t best_pos = 0;
  std::tuple<int64_t, int64_t> best_left;  // free milli, free memory after placing
  for (const auto& [name, node] : nodes) {  // ordered by name, devices by index
    if (!node.ready || !HostFits(r, node)) continue;
    for (size_t pos = 0; pos < node.spec.devices.size(); ++pos) {
      if (!SliceFits(r, node, pos)) continue;
      const Slice s = SliceOn(r, node.spec.devices[pos]);
      std::tuple<int64_t, int64_t> left{FreeMilli(node, pos) - s.milli,
                                        FreeMemory(node, pos) - s.memory_mib};
      if (best == nullptr || left < best_left) {
        best = &node;
        best_pos = pos;
        best_left = left;
      }
    }
  }
  if (best == nullptr) return std::nullopt;
  Placement p = HostPart(r, best->spec.name);
  const DeviceSpec& d = best->spec.devices[best_pos];
  p.devices.push_back(DeviceGrant{d.index, d.uuid, SliceOn(r, d)});
  return p;
}

std::optional<Placement> PlaceHostOnly(const ResourceRequest& r,
                                       const std::map<std::string, NodeState>& nodes) {
  const bool nothing_requested = r.cpu_milli == 0 && r.memory_mib == 0;
  const NodeState* best = nullptr;
  for (const auto& [name, node] : nodes) {
    if (!node.ready || !HostFits(r, node)) continue;
    if (nothing_requested) return HostPart(r, name);
    if (best == nullptr || FreeCpu(node) > FreeCpu(*best)) best = &node;
  }
  if (best == nullptr) return std::nullopt;
  return HostPart(r, best->spec.name);
}

}  // namespace

std::optional<Placement> BestFitPolicy::Place(const QueuedJob& job,
                                              const std::map<std::string, NodeState>& nodes,
                                              Rng& /*rng*/) const {
  const ResourceRequest& r = job.request;
  if (!RequestShapeError(r).empty()) return std::nullopt;
  switch (KindOf(r)) {
    case RequestKind::kWholeGpus:
      return PlaceWhole(r, nodes);
    case RequestKind::kSlice:
      return PlaceSlice(r, nodes);
    case RequestKind::kNoGpu:
      return PlaceHostOnly(r, nodes);
  }
  return std::nullopt;
}

}  // namespace fastgpu::core
