#pragma once
// cgroups for jobs: one group per attempt with CPU, memory and pids limits, on cgroup v2 (the
// unified hierarchy) or, where only v1 controllers are mounted, on v1. Free functions returning
// Status, in the manner of Mesos' linux/cgroups2.hpp. Paths are explicit so tests can point
// them at a scratch tree. Not thread-safe for the same group; distinct groups are independent.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "agent/cgroup/devices.h"
#include "common/result.h"

namespace fastgpu::agent::cgroup {

enum class Mode { kV1, kV2 };

// How a group's device deny list is enforced (see devices.h).
enum class DeviceBackend {
  kAuto,  // kV2: BPF; kV1: the v1 devices controller, else BPF on the unified mount, else none
  kV1,    // the cgroup v1 devices controller
  kBpf,   // a BPF device program on a cgroup v2 folder (also on a hybrid system's unified mount)
  kNone,  // not enforced
};

// Where this process may create job groups: below its own cgroup in each hierarchy.
struct Hierarchy {
  Mode mode = Mode::kV1;
  std::string v2_base;                  // kV2: our own cgroup's folder in the unified mount
  std::string memory, cpu, pids;        // kV1: our own cgroup's folder per controller
  std::string devices;                  // v1 devices controller folder; empty: not mounted
  std::string unified;                  // our folder in the unified (v2) mount; empty: none
};

// The backend that `requested` resolves to on `h` (kAuto picks as described above; an explicit
// choice that `h` lacks resolves to kNone).
DeviceBackend ResolveDeviceBackend(const Hierarchy& h, DeviceBackend requested);
// "cgroup-v1-devices", "bpf", "none".
const char* DeviceBackendName(DeviceBackend backend);

// Reads `proc_self_cgroup` (format of /proc/self/cgroup) and the mounts under `mount_root`.
// Picks v2 when the unified hierarchy offers the memory and cpu controllers, else v1 when the
// memory and cpu controllers are mounted. Unavailable (with what is missing) when neither is.
Result<Hierarchy> Detect(const std::string& proc_self_cgroup = "/proc/self/cgroup",
                         const std::string& mount_root = "/sys/fs/cgroup");

struct Limits {
  int32_t cpu_milli = 0;     // 0: no CPU limit; 1000 = one core (CFS quota over a 100 ms period)
  int64_t memory_bytes = 0;  // 0: no memory limit
  int64_t pids_max = 0;      // 0: no pids limit
  std::vector<DeviceRule> deny_devices;  // empty: no device rules
  DeviceBackend device_backend = DeviceBackend::kAuto;
};

// One attempt's group: the folders that make it up (one on v2; on v1 one for memory, one for
// cpu, one for pids only when there is a pids limit, one for devices when they are denied).
struct Group {
  Mode mode = Mode::kV1;
  std::vector<std::string> dirs;  // dirs[0] holds cgroup.procs for membership and kill
  std::string memory_dir;         // where the memory limit and OOM counters live
  DeviceBackend devices = DeviceBackend::kNone;  // how deny_devices is enforced
  std::string devices_error;  // why deny_devices is not enforced; empty when it is (or none)
};

// Creates (or reuses) the group `name` (e.g. "fastgpu/12-1") and writes `limits`. On v2 it
// enables the controllers on the way down, moving this process into a leaf first if its own
// cgroup holds processes (the "no internal processes" rule). With deny_devices it also
// enforces them through the resolved backend; when that is kNone or the kernel refuses, the
// group is still made and devices_error says why (the caller decides what to do). Internal
// naming the file on other errors.
Result<Group> Create(const Hierarchy& hierarchy, const std::string& name, const Limits& limits);

// Moves process `pid` into the group.
Status AddProcess(const Group& group, pid_t pid);

// Moves the calling process, which must be single-threaded (a child just forked), into the
// group. On cgroup v1 it writes "0" to each hierarchy's `tasks`: moving only the caller's own
// thread skips the kernel's global threadgroup lock, whose write side waits for an RCU grace
// period (8-20 ms here after an idle spell) that AddProcess's `cgroup.procs` pays.
Status JoinSelf(const Group& group);

// The processes in the group now.
Result<std::vector<pid_t>> Processes(const Group& group);

// Whether the kernel's OOM killer killed a process of this group.
Result<bool> OomKilled(const Group& group);

// SIGKILLs every process in the group until none is left (bounded: gives up after ~2 s with
// Unavailable listing the survivors).
Status KillAll(const Group& group);

// Removes the group's folders; the group must be empty. OK when already gone.
Status Remove(const Group& group);

// The group `name` as Create would have made it, built from the folders that exist now,
// without creating or writing anything: for cleaning up groups whose supervisor is gone.
Group Existing(const Hierarchy& hierarchy, const std::string& name);

// The names of the groups directly below `parent` (in the memory folder on v1); empty when
// there is none.
std::vector<std::string> Children(const Hierarchy& hierarchy, const std::string& parent);

}  // namespace fastgpu::agent::cgroup
