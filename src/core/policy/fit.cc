#include "core/policy/fit.h"

#include <algorithm>
#include <cstdint>
#include <tuple>

#include "core/capacity.h"

namespace fastgpu::core {

bool NodeUsable(const ResourceRequest& r, const NodeState& n) {
  return n.ready && HostFits(r, n);
}

std::vector<size_t> LowestIdleDevices(const ResourceRequest& r, const NodeState& n) {
  std::vector<size_t> out;
  const size_t want = static_cast<size_t>(r.gpu_count);
  for (size_t pos = 0; pos < n.spec().devices.size() && out.size() < want; ++pos) {
    if (Schedulable(n, pos) && IsIdle(n, pos) && ModelAllowed(r, n.spec().devices[pos])) {
      out.push_back(pos);
    }
  }
  if (out.size() < want) out.clear();
  return out;
}

std::vector<size_t> SliceDevices(const ResourceRequest& r, const NodeState& n) {
  std::vector<size_t> out;
  for (size_t pos = 0; pos < n.spec().devices.size(); ++pos) {
    if (SliceFits(r, n, pos)) out.push_back(pos);
  }
  return out;
}

bool CanHost(const ResourceRequest& r, const NodeState& n) {
  if (!NodeUsable(r, n)) return false;
  switch (KindOf(r)) {
    case RequestKind::kNoGpu:
      return true;
    case RequestKind::kWholeGpus:
      return !LowestIdleDevices(r, n).empty();
    case RequestKind::kSlice:
      for (size_t pos = 0; pos < n.spec().devices.size(); ++pos) {
        if (SliceFits(r, n, pos)) return true;
      }
      return false;
  }
  return false;
}

Placement BuildPlacement(const ResourceRequest& r, const NodeState& n,
                         const std::vector<size_t>& positions) {
  Placement p;
  p.node = n.spec().name;
  p.cpu_milli = r.cpu_milli;
  p.memory_mib = r.memory_mib;
  for (size_t pos : positions) {
    const DeviceSpec& d = n.spec().devices[pos];
    p.devices.push_back(DeviceGrant{d.index, d.uuid, SliceOn(r, d)});
  }
  std::sort(p.devices.begin(), p.devices.end(),
            [](const DeviceGrant& a, const DeviceGrant& b) { return a.index < b.index; });
  return p;
}

size_t TightestDevice(const ResourceRequest& r, const NodeState& n,
                      const std::vector<size_t>& positions) {
  size_t best = positions.front();
  std::tuple<int64_t, int64_t> best_left{INT64_MAX, INT64_MAX};
  for (size_t pos : positions) {
    const Slice s = SliceOn(r, n.spec().devices[pos]);
    std::tuple<int64_t, int64_t> left{FreeMilli(n, pos) - s.milli, FreeMemory(n, pos) - s.memory_mib};
    if (left < best_left) {
      best_left = left;
      best = pos;
    }
  }
  return best;
}

}  // namespace fastgpu::core
