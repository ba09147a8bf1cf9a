#include "agent/gpu_health.h"

#include <gtest/gtest.h>

namespace fastgpu::agent {
namespace {

TEST(GpuHealth, HealthyByDefault) {
  EXPECT_EQ(UnhealthyReason(HealthPolicy{}, HealthInput{}), "");
  HealthInput ecc_ok;
  ecc_ok.ecc_uncorrected = 0;
  EXPECT_EQ(UnhealthyReason(HealthPolicy{}, ecc_ok), "");
}

TEST(GpuHealth, GoneComesFirstThenXidsThenEcc) {
  HealthInput in;
  in.present = false;
  in.critical_xids = 2;
  in.last_critical_xid = 79;
  in.ecc_uncorrected = 3;
  EXPECT_EQ(UnhealthyReason(HealthPolicy{}, in), "gone from NVML");
  in.present = true;
  EXPECT_EQ(UnhealthyReason(HealthPolicy{}, in), "XID 79 (2 critical XID errors)");
  in.critical_xids = 0;
  EXPECT_EQ(UnhealthyReason(HealthPolicy{}, in), "3 uncorrected ECC errors (more than 0)");
}

TEST(GpuHealth, EccLimitIsConfigurable) {
  HealthPolicy policy;
  policy.max_uncorrected_ecc = 3;
  HealthInput in;
  in.ecc_uncorrected = 3;
  EXPECT_EQ(UnhealthyReason(policy, in), "");  // at the limit: still healthy
  in.ecc_uncorrected = 4;
  EXPECT_EQ(UnhealthyReason(policy, in), "4 uncorrected ECC errors (more than 3)");
}

// Application XIDs (13 graphics engine exception, 31 MMU fault, 43 reset channel, ...) are the
// program's fault, not the device's.
TEST(GpuHealth, ApplicationXidsAreNotCritical) {
  HealthPolicy policy;
  for (int64_t xid : {13, 31, 43, 45, 68, 109}) EXPECT_FALSE(XidIsCritical(policy, xid)) << xid;
  for (int64_t xid : {48, 63, 64, 74, 79, 92, 94, 95}) EXPECT_TRUE(XidIsCritical(policy, xid)) << xid;
}

}  // namespace
}  // namespace fastgpu::agent
