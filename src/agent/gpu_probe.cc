#include "agent/gpu_probe.h"

#include "agent/nvml_gpu_discovery.h"

namespace fastgpu::agent {

int CountNvmlGpus(std::string* why) {
  NvmlGpuDiscovery discovery;
  auto devices = discovery.Discover();
  if (!devices.ok()) {
    *why = devices.error().message();
    return 0;
  }
  if (devices->empty()) *why = "NVML lists no device";
  return static_cast<int>(devices->size());
}

}  // namespace fastgpu::agent
