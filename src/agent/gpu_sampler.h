#pragma once
// GpuSampler: reads the node's devices for the GPU monitor (gpu_monitor.h). Two
// implementations: NvmlGpuSampler (nvml_gpu_sampler.h: real telemetry and XID events) and
// SimulatedGpuSampler (simulated devices: always present, no figures, no events).
//
// Used from one thread (the monitor's); not thread-safe.

#include <cstdint>
#include <memory>
#include <vector>

#include "agent/gpu_discovery.h"
#include "core/model/telemetry.h"

namespace fastgpu::agent {

struct DeviceSample {
  // index, uuid, static facts, the figures the device offers and its compute processes (their
  // `job` left 0: the monitor matches them to jobs). Health fields are left to the monitor.
  core::DeviceTelemetry telemetry;
  bool present = true;  // false: NVML no longer lists the device, or says it is lost
};

// An XID event on one of the registered devices (by DeviceSpec::index).
struct XidHit {
  int32_t index = 0;
  int64_t xid = 0;
};

class GpuSampler {
 public:
  virtual ~GpuSampler() = default;
  // One sample of every registered device, in the order they were registered. Never fails: a
  // device that cannot be read is reported not present.
  virtual std::vector<DeviceSample> Sample() = 0;
  // Whether WaitXid can block for events; when false the monitor sleeps by itself.
  virtual bool HasEvents() const { return false; }
  // Waits up to timeout_ms for XID events and returns those that came (empty on timeout).
  virtual std::vector<XidHit> WaitXid(unsigned timeout_ms) {
    (void)timeout_ms;
    return {};
  }
};

// Simulated devices: present and healthy, with no figures.
class SimulatedGpuSampler final : public GpuSampler {
 public:
  explicit SimulatedGpuSampler(std::vector<GpuDevice> devices) : devices_(std::move(devices)) {}
  std::vector<DeviceSample> Sample() override;

 private:
  std::vector<GpuDevice> devices_;
};

// The telemetry fields every sample starts from: index, uuid and the device's static facts.
core::DeviceTelemetry StaticTelemetry(const GpuDevice& device);

}  // namespace fastgpu::agent
