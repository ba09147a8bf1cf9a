#pragma once
// Simulated GPUs: a node that pretends to have the devices named by a SPEC, so that the whole
// pool can run on machines without GPUs (and in tests).
//
// SPEC grammar: one or more groups separated by commas, each `[COUNTx]MODEL`, where MODEL ends
// in `-NNGB` giving the device memory in GiB: "4xA100-80GB", "2xH100-80GB,1xT4-16GB",
// "A100-80GB" (one device). Devices are numbered 0.. in SPEC order and get the uuid
// "GPU-sim-<node>-<index>".

#include <string>
#include <string_view>
#include <vector>

#include "agent/gpu_discovery.h"

namespace fastgpu::agent {

// Parses SPEC for node `node`. Returns InvalidArgument with field "simulate" and a message
// showing the expected form for an empty SPEC, a count that is not 1..1024, a model without a
// `-NNGB` suffix, or more than 1024 devices in all. Pure.
Result<std::vector<core::DeviceSpec>> ParseSimulatedGpus(std::string_view spec,
                                                         const std::string& node);

// GpuDiscovery over a SPEC. List() returns what ParseSimulatedGpus returns, each device
// visible to CUDA by its index.
class SimulatedGpuDiscovery final : public GpuDiscovery {
 public:
  SimulatedGpuDiscovery(std::string spec, std::string node)
      : spec_(std::move(spec)), node_(std::move(node)) {}
  Result<std::vector<GpuDevice>> List() override;
  bool simulated() const override { return true; }

 private:
  std::string spec_;
  std::string node_;
};

}  // namespace fastgpu::agent
