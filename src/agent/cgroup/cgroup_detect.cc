// Detect(): which cgroup hierarchy to use and where our own cgroup is in it.
#include <sstream>

#include "agent/cgroup/cgroup.h"
#include "agent/cgroup/cgroup_files.h"

namespace fastgpu::agent::cgroup {
namespace {

// Lines of /proc/self/cgroup: "ID:controllers:path"; v2 is "0::path".
struct OwnPaths {
  std::string v2;
  std::string memory, cpu, pids, devices;
  bool has_v2 = false;
};

OwnPaths ParseProcCgroup(const std::string& text) {
  OwnPaths own;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (controllers.empty()) {
      own.v2 = path;
      own.has_v2 = true;
    }
    std::istringstream list(controllers);
    std::string c;
    while (std::getline(list, c, ',')) {
      if (c == "memory") own.memory = path;
      if (c == "cpu") own.cpu = path;
      if (c == "pids") own.pids = path;
      if (c == "devices") own.devices = path;
    }
  }
  return own;
}

bool ListsWord(const std::string& text, const std::string& word) {
  std::istringstream in(text);
  std::string w;
  while (in >> w) {
    if (w == word) return true;
  }
  return false;
}

// The unified mount: mount_root itself on a pure v2 system, mount_root/unified on hybrid ones.
std::string UnifiedMount(const std::string& root) {
  if (Exists(root + "/cgroup.controllers")) return root;
  if (Exists(root + "/unified/cgroup.controllers")) return root + "/unified";
  return "";
}

// The v1 mount folder of a controller ("cpu" may be mounted as "cpu,cpuacct").
std::string V1Mount(const std::string& root, const std::string& controller) {
  for (const std::string& name : {controller, std::string("cpu,cpuacct"), std::string("cpuacct,cpu")}) {
    if (name.find(controller) == std::string::npos) continue;
    if (Exists(root + "/" + name + "/cgroup.procs")) return root + "/" + name;
  }
  return "";
}

}  // namespace

Result<Hierarchy> Detect(const std::string& proc_self_cgroup, const std::string& mount_root) {
  FG_ASSIGN_OR_RETURN(std::string text, ReadFile(proc_self_cgroup));
  OwnPaths own = ParseProcCgroup(text);
  Hierarchy h;
  std::string unified = UnifiedMount(mount_root);
  if (own.has_v2 && !unified.empty()) h.unified = unified + (own.v2 == "/" ? "" : own.v2);
  if (own.has_v2 && !unified.empty()) {
    Result<std::string> controllers = ReadFile(unified + own.v2 + "/cgroup.controllers");
    if (controllers.ok() && ListsWord(*controllers, "memory") && ListsWord(*controllers, "cpu")) {
      h.mode = Mode::kV2;
      h.v2_base = unified + (own.v2 == "/" ? "" : own.v2);
      return h;
    }
  }
  std::string memory = V1Mount(mount_root, "memory");
  std::string cpu = V1Mount(mount_root, "cpu");
  if (memory.empty() || cpu.empty()) {
    return Unavailable("no usable cgroup hierarchy: cgroup v2 lacks the memory/cpu controllers "
                       "and cgroup v1 has no memory and cpu mounts under " + mount_root);
  }
  auto join = [](const std::string& mount, const std::string& path) {
    return path.empty() || path == "/" ? mount : mount + path;
  };
  h.mode = Mode::kV1;
  h.memory = join(memory, own.memory);
  h.cpu = join(cpu, own.cpu);
  std::string pids = V1Mount(mount_root, "pids");
  if (!pids.empty()) h.pids = join(pids, own.pids);
  std::string devices = V1Mount(mount_root, "devices");
  if (!devices.empty()) h.devices = join(devices, own.devices);
  return h;
}

}  // namespace fastgpu::agent::cgroup
