#pragma once
// GpuDiscovery: where the agent learns which GPUs its node has. Two implementations:
// SimulatedGpuDiscovery (a SPEC such as "4xA100-80GB", for machines without GPUs and for tests)
// and NvmlGpuDiscovery (the driver's NVML library, loaded with dlopen).

#include <vector>

#include "common/result.h"
#include "core/model/resources.h"

namespace fastgpu::agent {

// Not required to be thread-safe; the agent calls Discover() once at start.
class GpuDiscovery {
 public:
  virtual ~GpuDiscovery() = default;

  // The node's devices sorted by index. Returns Unavailable when the source cannot be read
  // (no NVML library, driver not loaded) and InvalidArgument for a bad configuration.
  virtual Result<std::vector<core::DeviceSpec>> Discover() = 0;

  // True when the devices are made up (no real GPU stands behind them).
  virtual bool simulated() const { return false; }
};

}  // namespace fastgpu::agent
