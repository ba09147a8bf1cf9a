#pragma once
// Device access control for a job's cgroup: which device numbers (major:minor) its processes
// may not open. Enforced by the kernel at open(2) time (EPERM), so a job that unsets
// CUDA_VISIBLE_DEVICES still cannot reach a GPU it was not given.
//  - cgroup v1: the devices controller; each rule is written to the group's devices.deny.
//  - cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the group's folder, which
//    answers "deny" for the listed numbers and "allow" for every other device.
// The model is a deny list (everything else stays as the parent allows it), the way Slurm's
// ConstrainDevices treats the devices it does not manage: only GPU files are the agent's to
// hand out. Free functions returning Status; not thread-safe for the same group.

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace fastgpu::agent::cgroup {

struct DeviceRule {
  char type = 'c';  // 'c' character device, 'b' block device
  uint32_t major = 0;
  uint32_t minor = 0;
  bool operator==(const DeviceRule&) const = default;
};

// "c 195:0" for {c, 195, 0}.
std::string FormatDeviceRule(const DeviceRule& rule);
// Parses "c 195:0" / "b 8:0". InvalidArgument (field "device") for anything else.
Result<DeviceRule> ParseDeviceRule(const std::string& text);

// v1: writes "TYPE MAJOR:MINOR rwm" to `dir`/devices.deny for each rule. Internal naming the
// file on error.
Status DenyDevicesV1(const std::string& dir, const std::vector<DeviceRule>& deny);

// The BPF program that denies `deny` and allows everything else (pure; exposed for tests).
std::vector<bpf_insn> DeviceFilterProgram(const std::vector<DeviceRule>& deny);

// v2: loads DeviceFilterProgram(deny) and attaches it to the cgroup v2 folder `dir`
// (BPF_F_ALLOW_MULTI, so programs of parent groups still apply). The attachment lives as long
// as the group. Unavailable (with errno text and, for a refused program, the verifier's log)
// when the kernel refuses: no CAP_BPF/CAP_SYS_ADMIN, no CONFIG_CGROUP_BPF, not a v2 folder.
Status AttachDeviceFilterV2(const std::string& dir, const std::vector<DeviceRule>& deny);

}  // namespace fastgpu::agent::cgroup
