// Job cgroups: create with limits, join, inspect, kill, remove (v1 and v2).
#include "agent/cgroup/cgroup.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "agent/cgroup/cgroup_files.h"

namespace fastgpu::agent::cgroup {
namespace {

constexpr int64_t kCfsPeriodUs = 100000;

// Enables memory, cpu and pids for the children of `dir` (v2). If `dir` holds processes the
// kernel refuses (EBUSY); then this process moves into a leaf "agent" child first.
Status EnableControllers(const std::string& dir) {
  int err = 0;
  Status st = WriteFile(dir + "/cgroup.subtree_control", "+memory +cpu +pids", &err);
  if (st.ok() || err != EBUSY) return st;
  FG_RETURN_IF_ERROR(MakeDirs(dir + "/agent"));
  FG_RETURN_IF_ERROR(WriteFile(dir + "/agent/cgroup.procs", std::to_string(::getpid())));
  return WriteFile(dir + "/cgroup.subtree_control", "+memory +cpu +pids");
}

Result<Group> CreateV2(const Hierarchy& h, const std::string& name, const Limits& limits) {
  Group g;
  g.mode = Mode::kV2;
  std::string dir = h.v2_base;
  std::istringstream parts(name);
  std::string part;
  while (std::getline(parts, part, '/')) {
    FG_RETURN_IF_ERROR(EnableControllers(dir));
    dir += "/" + part;
    FG_RETURN_IF_ERROR(MakeDirs(dir));
  }
  g.dirs = {dir};
  g.memory_dir = dir;
  if (limits.memory_bytes > 0) {
    FG_RETURN_IF_ERROR(WriteFile(dir + "/memory.max", std::to_string(limits.memory_bytes)));
    WriteFile(dir + "/memory.swap.max", "0").IgnoreError();  // absent without swap accounting
  }
  if (limits.cpu_milli > 0) {
    int64_t quota = kCfsPeriodUs * limits.cpu_milli / 1000;
    FG_RETURN_IF_ERROR(WriteFile(dir + "/cpu.max", std::to_string(quota) + " " +
                                                       std::to_string(kCfsPeriodUs)));
  }
  if (limits.pids_max > 0) {
    FG_RETURN_IF_ERROR(WriteFile(dir + "/pids.max", std::to_string(limits.pids_max)));
  }
  return g;
}

Result<Group> CreateV1(const Hierarchy& h, const std::string& name, const Limits& limits) {
  Group g;
  g.mode = Mode::kV1;
  std::string memory = h.memory + "/" + name;
  std::string cpu = h.cpu + "/" + name;
  FG_RETURN_IF_ERROR(MakeDirs(memory));
  FG_RETURN_IF_ERROR(MakeDirs(cpu));
  g.dirs = {memory, cpu};
  g.memory_dir = memory;
  // A pids group only for a pids limit: the memory group already lists the job's processes,
  // and each group is a mkdir, a join and an rmdir per job.
  if (!h.pids.empty() && limits.pids_max > 0) {
    std::string pids = h.pids + "/" + name;
    FG_RETURN_IF_ERROR(MakeDirs(pids));
    g.dirs.push_back(pids);
    FG_RETURN_IF_ERROR(WriteFile(pids + "/pids.max", std::to_string(limits.pids_max)));
  }
  if (limits.memory_bytes > 0) {
    FG_RETURN_IF_ERROR(
        WriteFile(memory + "/memory.limit_in_bytes", std::to_string(limits.memory_bytes)));
    // Without swap accounting this file is absent; the limit then covers RAM only.
    WriteFile(memory + "/memory.memsw.limit_in_bytes", std::to_string(limits.memory_bytes))
        .IgnoreError();
  }
  if (limits.cpu_milli > 0) {
    FG_RETURN_IF_ERROR(WriteFile(cpu + "/cpu.cfs_period_us", std::to_string(kCfsPeriodUs)));
    FG_RETURN_IF_ERROR(WriteFile(cpu + "/cpu.cfs_quota_us",
                                 std::to_string(kCfsPeriodUs * limits.cpu_milli / 1000)));
  }
  return g;
}

// Value of "key N" in a flat-keyed file (memory.events, memory.oom_control); 0 when absent.
int64_t KeyedValue(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  int64_t v = 0;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return 0;
}

// Applies limits.deny_devices to `g` (see Create); errors land in g.devices_error.
Status ApplyDevices(const Hierarchy& h, const std::string& name, const Limits& limits, Group& g) {
  if (limits.deny_devices.empty()) return Status::Ok();
  DeviceBackend backend = ResolveDeviceBackend(h, limits.device_backend);
  Status st = Status::Ok();
  if (backend == DeviceBackend::kV1) {
    std::string dir = h.devices + "/" + name;
    FG_RETURN_IF_ERROR(MakeDirs(dir));
    g.dirs.push_back(dir);
    st = DenyDevicesV1(dir, limits.deny_devices);
  } else if (backend == DeviceBackend::kBpf) {
    std::string dir = h.mode == Mode::kV2 ? g.dirs[0] : h.unified + "/" + name;
    if (dir != g.dirs[0]) {
      FG_RETURN_IF_ERROR(MakeDirs(dir));
      g.dirs.push_back(dir);
    }
    st = AttachDeviceFilterV2(dir, limits.deny_devices);
  } else {
    st = Unavailable("no device controller: neither the cgroup v1 devices controller nor a "
                     "cgroup v2 mount for a BPF device program");
  }
  if (st.ok()) {
    g.devices = backend;
  } else {
    g.devices_error = st.message();
  }
  return Status::Ok();
}

}  // namespace

DeviceBackend ResolveDeviceBackend(const Hierarchy& h, DeviceBackend requested) {
  bool v1 = !h.devices.empty();
  bool bpf = h.mode == Mode::kV2 || !h.unified.empty();
  switch (requested) {
    case DeviceBackend::kAuto:
      if (h.mode == Mode::kV2) return DeviceBackend::kBpf;
      if (v1) return DeviceBackend::kV1;
      return bpf ? DeviceBackend::kBpf : DeviceBackend::kNone;
    case DeviceBackend::kV1:
      return v1 ? DeviceBackend::kV1 : DeviceBackend::kNone;
    case DeviceBackend::kBpf:
      return bpf ? DeviceBackend::kBpf : DeviceBackend::kNone;
    case DeviceBackend::kNone:
      return DeviceBackend::kNone;
  }
  return DeviceBackend::kNone;
}

const char* DeviceBackendName(DeviceBackend backend) {
  switch (backend) {
    case DeviceBackend::kV1:
      return "cgroup-v1-devices";
    case DeviceBackend::kBpf:
      return "bpf";
    case DeviceBackend::kAuto:
      return "auto";
    case DeviceBackend::kNone:
      break;
  }
  return "none";
}

Result<Group> Create(const Hierarchy& hierarchy, const std::string& name, const Limits& limits) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) {
    return InvalidArgument("bad cgroup name '" + name + "'", "name");
  }
  FG_ASSIGN_OR_RETURN(Group g, hierarchy.mode == Mode::kV2 ? CreateV2(hierarchy, name, limits)
                                                           : CreateV1(hierarchy, name, limits));
  FG_RETURN_IF_ERROR(ApplyDevices(hierarchy, name, limits, g));
  return g;
}

Status AddProcess(const Group& group, pid_t pid) {
  for (const std::string& dir : group.dirs) {
    FG_RETURN_IF_ERROR(WriteFile(dir + "/cgroup.procs", std::to_string(pid)));
  }
  return Status::Ok();
}

Status JoinSelf(const Group& group) {
  if (group.mode == Mode::kV2) return AddProcess(group, ::getpid());
  for (const std::string& dir : group.dirs) FG_RETURN_IF_ERROR(WriteFile(dir + "/tasks", "0"));
  return Status::Ok();
}

Result<std::vector<pid_t>> Processes(const Group& group) {
  if (group.dirs.empty()) return std::vector<pid_t>{};
  FG_ASSIGN_OR_RETURN(std::string text, ReadFile(group.dirs[0] + "/cgroup.procs"));
  std::vector<pid_t> pids;
  std::istringstream in(text);
  pid_t pid;
  while (in >> pid) pids.push_back(pid);
  return pids;
}

Result<bool> OomKilled(const Group& group) {
  if (group.mode == Mode::kV2) {
    FG_ASSIGN_OR_RETURN(std::string events, ReadFile(group.memory_dir + "/memory.events"));
    return KeyedValue(events, "oom_kill") > 0;
  }
  FG_ASSIGN_OR_RETURN(std::string control, ReadFile(group.memory_dir + "/memory.oom_control"));
  return KeyedValue(control, "oom_kill") > 0;
}

Status KillAll(const Group& group) {
  if (group.dirs.empty()) return Status::Ok();
  if (group.mode == Mode::kV2 && Exists(group.dirs[0] + "/cgroup.kill")) {
    WriteFile(group.dirs[0] + "/cgroup.kill", "1").IgnoreError();
  }
  for (int round = 0; round < 200; ++round) {
    FG_ASSIGN_OR_RETURN(std::vector<pid_t> pids, Processes(group));
    if (pids.empty()) return Status::Ok();
    for (pid_t pid : pids) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Unavailable("processes survive SIGKILL in " + group.dirs[0]);
}

Status Remove(const Group& group) {
  for (const std::string& dir : group.dirs) {
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
      return Internal("rmdir " + dir + ": " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

Group Existing(const Hierarchy& h, const std::string& name) {
  Group g;
  g.mode = h.mode;
  std::vector<std::string> roots = h.mode == Mode::kV2
                                       ? std::vector<std::string>{h.v2_base}
                                       : std::vector<std::string>{h.memory, h.cpu, h.pids,
                                                                  h.devices, h.unified};
  for (const std::string& root : roots) {
    if (!root.empty() && Exists(root + "/" + name + "/cgroup.procs")) {
      g.dirs.push_back(root + "/" + name);
    }
  }
  g.memory_dir = h.mode == Mode::kV2 ? h.v2_base + "/" + name : h.memory + "/" + name;
  return g;
}

std::vector<std::string> Children(const Hierarchy& h, const std::string& parent) {
  std::vector<std::string> out;
  std::string dir = (h.mode == Mode::kV2 ? h.v2_base : h.memory) + "/" + parent;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* ent = ::readdir(d)) {
    std::string n = ent->d_name;
    if (n != "." && n != ".." && ent->d_type == DT_DIR) out.push_back(n);
  }
  ::closedir(d);
  return out;
}

}  // namespace fastgpu::agent::cgroup
