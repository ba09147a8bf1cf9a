#include "agent/nvml_gpu_discovery.h"

namespace fastgpu::agent {

Result<std::vector<core::DeviceSpec>> NvmlGpuDiscovery::Discover() {
  FG_ASSIGN_OR_RETURN(std::unique_ptr<nvml::Nvml> lib, nvml::Nvml::Load(library_));
  FG_RETURN_IF_ERROR(lib->Initialize());
  FG_ASSIGN_OR_RETURN(unsigned count, lib->DeviceCount());
  std::vector<core::DeviceSpec> devices;
  devices.reserve(count);
  for (unsigned i = 0; i < count; ++i) {
    FG_ASSIGN_OR_RETURN(nvml::Device device, lib->DeviceByIndex(i));
    core::DeviceSpec spec;
    spec.index = static_cast<int32_t>(i);
    FG_ASSIGN_OR_RETURN(spec.uuid, lib->DeviceUuid(device));
    FG_ASSIGN_OR_RETURN(spec.model, lib->DeviceName(device));
    FG_ASSIGN_OR_RETURN(nvml::MemoryInfo memory, lib->DeviceMemory(device));
    spec.memory_mib = static_cast<int64_t>(memory.total_bytes / (1024 * 1024));
    devices.push_back(std::move(spec));
  }
  return devices;
}

}  // namespace fastgpu::agent
