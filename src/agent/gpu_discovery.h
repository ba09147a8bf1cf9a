#pragma once
// GpuDiscovery: where the agent learns which GPUs its node has. Two implementations:
// SimulatedGpuDiscovery (a SPEC such as "4xA100-80GB", for machines without GPUs and for tests)
// and NvmlGpuDiscovery (the driver's NVML library, loaded with dlopen).

#include <string>
#include <vector>

#include "common/result.h"
#include "core/model/resources.h"

namespace fastgpu::agent {

// One device the node offers to the scheduler: a whole GPU, or one MIG instance of a GPU in
// MIG mode (such a GPU is not offered itself; its instances are, each as a device of its own).
struct GpuDevice {
  // spec.index is the agent's device index, what the scheduler grants: dense from 0 in NVML
  // order, a GPU in MIG mode contributing one index per instance. Without MIG it is the NVML
  // index.
  core::DeviceSpec spec;
  std::string visible_id;          // its CUDA_VISIBLE_DEVICES entry: "2", or the MIG uuid
  int32_t gpu_index = -1;          // NVML index of the physical GPU; -1 when simulated
  bool mig = false;                // a MIG instance of GPU gpu_index
  std::string compute_capability;  // "8.0"; "" when unknown
  bool operator==(const GpuDevice&) const = default;
};

// Not required to be thread-safe; the agent calls it once at start.
class GpuDiscovery {
 public:
  virtual ~GpuDiscovery() = default;

  // The node's devices sorted by spec.index. Returns Unavailable when the source cannot be
  // read (no NVML library, driver not loaded) and InvalidArgument for a bad configuration.
  virtual Result<std::vector<GpuDevice>> List() = 0;

  // The specs of List(), as the agent registers them.
  Result<std::vector<core::DeviceSpec>> Discover() {
    FG_ASSIGN_OR_RETURN(std::vector<GpuDevice> devices, List());
    std::vector<core::DeviceSpec> specs;
    for (GpuDevice& d : devices) specs.push_back(std::move(d.spec));
    return specs;
  }

  // True when the devices are made up (no real GPU stands behind them).
  virtual bool simulated() const { return false; }
};

}  // namespace fastgpu::agent
