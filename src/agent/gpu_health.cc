#include "agent/gpu_health.h"

#include <algorithm>

namespace fastgpu::agent {

bool XidIsCritical(const HealthPolicy& policy, int64_t xid) {
  return std::find(policy.application_xids.begin(), policy.application_xids.end(), xid) ==
         policy.application_xids.end();
}

std::string UnhealthyReason(const HealthPolicy& policy, const HealthInput& input) {
  if (!input.present) return "gone from NVML";
  if (input.critical_xids > 0) {
    std::string last = input.last_critical_xid ? std::to_string(*input.last_critical_xid) : "?";
    return "XID " + last + " (" + std::to_string(input.critical_xids) + " critical XID error" +
           (input.critical_xids == 1 ? "" : "s") + ")";
  }
  if (input.ecc_uncorrected && *input.ecc_uncorrected > policy.max_uncorrected_ecc) {
    return std::to_string(*input.ecc_uncorrected) + " uncorrected ECC errors (more than " +
           std::to_string(policy.max_uncorrected_ecc) + ")";
  }
  return "";
}

}  // namespace fastgpu::agent
