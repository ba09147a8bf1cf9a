#pragma once
// What agents report about their devices and jobs' GPU use with each heartbeat: plain values
// shared by the agent (which measures them), the API codec and the controller (which shows
// them in the node and GPU views and exports them as metrics). No logic; the scheduler reads
// none of it (a device's health reaches it as DeviceSpec::healthy).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model/resources.h"

namespace fastgpu::core {

// A compute process on a device.
struct GpuProcess {
  int32_t pid = 0;
  std::optional<int64_t> memory_mib;  // absent when the driver cannot tell
  JobId job = 0;                      // the job it belongs to; 0: not one of ours
  bool operator==(const GpuProcess&) const = default;
};

// One device's state at the agent's last sample. Optional figures are absent where the driver
// does not offer them (simulated devices offer none; MIG instances no power or temperature).
struct DeviceTelemetry {
  int32_t index = 0;  // DeviceSpec::index
  std::string uuid;
  bool healthy = true;
  std::string health;              // why it is unhealthy; "" when healthy
  std::string compute_capability;  // "8.0"; "" unknown
  bool mig = false;                // a MIG instance
  int32_t gpu_index = -1;          // NVML index of its physical GPU; -1 simulated
  std::optional<int32_t> utilization_pct;
  std::optional<int32_t> memory_utilization_pct;
  std::optional<int64_t> memory_used_mib;
  std::optional<int32_t> temperature_c;
  std::optional<int64_t> power_mw;
  std::optional<int64_t> ecc_corrected;    // volatile, since the driver loaded
  std::optional<int64_t> ecc_uncorrected;  // volatile, since the driver loaded
  int64_t xid_errors = 0;                  // XID events counted since the agent started
  std::optional<int64_t> last_xid;
  std::vector<GpuProcess> processes;
  bool operator==(const DeviceTelemetry&) const = default;
};

// A running attempt's GPU memory high-water mark (the largest the agent has seen it hold, all
// its devices together).
struct JobGpuMemory {
  JobId job = 0;
  int32_t attempt = 0;
  int64_t peak_mib = 0;
  bool operator==(const JobGpuMemory&) const = default;
};

struct NodeTelemetry {
  int64_t sampled_ms = 0;  // agent's wall clock at the sample; 0: never sampled
  std::vector<DeviceTelemetry> devices;
  std::vector<JobGpuMemory> jobs;
  bool operator==(const NodeTelemetry&) const = default;
};

}  // namespace fastgpu::core
