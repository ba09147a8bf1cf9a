#pragma once
// NvmlGpuDiscovery: the node's real GPUs as NVML lists them (index, uuid, name as model,
// total memory in MiB).

#include <string>

#include "agent/gpu_discovery.h"
#include "agent/nvml/nvml.h"

namespace fastgpu::agent {

class NvmlGpuDiscovery final : public GpuDiscovery {
 public:
  // `library` is what dlopen loads; tests point it at a fake NVML.
  explicit NvmlGpuDiscovery(std::string library = nvml::kDefaultLibrary)
      : library_(std::move(library)) {}

  // Loads and initializes NVML for the duration of the call. Returns Unavailable with a clear
  // message when the library is missing or the driver refuses to initialize (the caller may
  // then fall back to no or simulated GPUs), Internal when a device query fails.
  Result<std::vector<core::DeviceSpec>> Discover() override;

 private:
  std::string library_;
};

}  // namespace fastgpu::agent
