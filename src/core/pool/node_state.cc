#include "core/pool/node_state.h"

#include <algorithm>
#include <utility>

#include "core/capacity.h"

namespace fastgpu::core {
namespace {

std::shared_ptr<const NodeSpec> Sorted(NodeSpec spec) {
  std::sort(spec.devices.begin(), spec.devices.end(),
            [](const DeviceSpec& a, const DeviceSpec& b) { return a.index < b.index; });
  return std::make_shared<const NodeSpec>(std::move(spec));
}

}  // namespace

NodeState::NodeState() : spec_ptr(std::make_shared<const NodeSpec>()) {}

NodeState::NodeState(NodeSpec spec) : spec_ptr(Sorted(std::move(spec))) {
  used.assign(spec_ptr->devices.size(), Slice{});
}

void NodeState::ReplaceSpec(NodeSpec spec) {
  std::shared_ptr<const NodeSpec> next = Sorted(std::move(spec));
  std::vector<Slice> next_used(next->devices.size(), Slice{});
  for (size_t i = 0; i < next->devices.size(); ++i) {
    const int pos = FindDevice(*spec_ptr, next->devices[i].index);
    if (pos >= 0) next_used[i] = used[static_cast<size_t>(pos)];
  }
  spec_ptr = std::move(next);
  used = std::move(next_used);
}

bool NodeState::operator==(const NodeState& o) const {
  return (spec_ptr == o.spec_ptr || *spec_ptr == *o.spec_ptr) && ready == o.ready &&
         used == o.used && used_cpu_milli == o.used_cpu_milli &&
         used_memory_mib == o.used_memory_mib;
}

}  // namespace fastgpu::core
