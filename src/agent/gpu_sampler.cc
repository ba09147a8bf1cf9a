#include "agent/gpu_sampler.h"

namespace fastgpu::agent {

core::DeviceTelemetry StaticTelemetry(const GpuDevice& device) {
  core::DeviceTelemetry t;
  t.index = device.spec.index;
  t.uuid = device.spec.uuid;
  t.compute_capability = device.compute_capability;
  t.mig = device.mig;
  t.gpu_index = device.gpu_index;
  return t;
}

std::vector<DeviceSample> SimulatedGpuSampler::Sample() {
  std::vector<DeviceSample> out;
  for (const GpuDevice& d : devices_) out.push_back(DeviceSample{StaticTelemetry(d), true});
  return out;
}

}  // namespace fastgpu::agent
