#pragma once
// NvmlGpuSampler: the registered devices' telemetry from NVML (utilization, memory used,
// temperature, power, ECC counts, compute processes) and their XID events. Each Sample()
// enumerates NVML again and finds the devices by uuid, so a device that fell off the bus, or
// whose handle answers "GPU is lost", is reported not present.

#include <memory>
#include <string>
#include <vector>

#include "agent/gpu_sampler.h"
#include "agent/nvml/nvml.h"
#include "agent/nvml_gpu_discovery.h"
#include "common/result.h"

namespace fastgpu::agent {

class NvmlGpuSampler final : public GpuSampler {
 public:
  // Loads and initializes `library` and registers the GPUs of `devices` for XID events (a
  // driver without events is logged once; the sampler then has none). Unavailable when NVML
  // cannot be loaded or initialized.
  static Result<std::unique_ptr<NvmlGpuSampler>> Create(const std::string& library,
                                                        std::vector<GpuDevice> devices);

  std::vector<DeviceSample> Sample() override;
  bool HasEvents() const override { return events_; }
  std::vector<XidHit> WaitXid(unsigned timeout_ms) override;

 private:
  NvmlGpuSampler(std::unique_ptr<nvml::Nvml> lib, std::vector<GpuDevice> devices);
  void Enumerate();
  DeviceSample Read(const GpuDevice& device);
  // The registered devices an event on `gpu` (MIG GPU instance `gi`, if any) concerns.
  void HitsFor(const nvml::XidEvent& event, std::vector<XidHit>* hits) const;

  std::unique_ptr<nvml::Nvml> lib_;
  std::vector<GpuDevice> devices_;
  std::vector<NvmlDevice> found_;  // the last enumeration
  bool events_ = false;
};

}  // namespace fastgpu::agent
