#pragma once
// When a device is unhealthy, as a pure rule (no I/O): the GPU monitor (gpu_monitor.h) feeds it
// what NVML said. An unhealthy device gets no new work from the scheduler (DeviceSpec::healthy);
// work already there keeps running.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fastgpu::agent {

struct HealthPolicy {
  // More volatile uncorrected ECC errors than this make the device unhealthy (0: any).
  int64_t max_uncorrected_ecc = 0;
  // XIDs that an application causes (illegal address, its own fault, ...), not the device: as
  // in NVIDIA's Kubernetes device plugin, they never make a device unhealthy.
  std::vector<int64_t> application_xids = {13, 31, 43, 45, 68, 109};
};

// What the monitor knows about one device.
struct HealthInput {
  bool present = true;                     // NVML still lists it (and does not say it is lost)
  std::optional<int64_t> ecc_uncorrected;  // absent: the device does not count ECC errors
  int64_t critical_xids = 0;               // XIDs not in application_xids since the agent started
  std::optional<int64_t> last_critical_xid;
};

// Whether an XID marks the device (false for the application XIDs of the policy).
bool XidIsCritical(const HealthPolicy& policy, int64_t xid);

// "" when the device is healthy; otherwise why not, for people: "gone from NVML",
// "XID 79 (2 critical XID errors)", "3 uncorrected ECC errors (more than 0)". Gone comes first,
// then XIDs, then ECC.
std::string UnhealthyReason(const HealthPolicy& policy, const HealthInput& input);

}  // namespace fastgpu::agent
