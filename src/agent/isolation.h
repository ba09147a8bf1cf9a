#pragma once
// What this node can enforce between jobs, found once at agent start by trying each mechanism
// for real (a probe cgroup with a device rule, a probe mount namespace), and reported in the
// agent's log, its node status and the server's /metrics. Each boundary is a short text: the
// mechanism ("cgroup-v1-devices", "mount namespace", ...) or "none: <why>".

#include <map>
#include <string>
#include <vector>

namespace fastgpu::agent {

struct NodeIsolation {
  std::string cgroups;      // "cgroup v1" / "cgroup v2" / "none: ..."
  std::string devices;      // "cgroup-v1-devices" / "bpf" / "none: ..."
  std::string users;        // JobUsers::Describe()
  std::string private_tmp;  // "mount namespace" / "off (configured)" / "none: ..."
  // Every boundary between tenants holds (devices, users, private /tmp, cgroups).
  bool isolates_tenants = false;
  // One line per boundary that does not hold, for the log and the node status.
  std::vector<std::string> warnings;
  // {"cgroups": ..., "devices": ..., "users": ..., "private_tmp": ...}
  std::map<std::string, std::string> AsMap() const;
};

struct IsolationProbe {
  std::string cgroup_parent;    // the agent's group ("fastgpu/<hash>"); the probe goes below it
  std::string device_backend;   // as configured: "auto", "cgroup-v1-devices", "bpf", "none"
  bool private_tmp = true;      // configured on
  std::string users;            // JobUsers::Describe()
  bool users_separate = false;  // JobUsers::SeparatesTenants()
};

// Probes and returns what holds. `*use_private_tmp` says whether jobs should get a mount
// namespace (configured and working).
NodeIsolation ProbeIsolation(const IsolationProbe& probe, bool* use_private_tmp);

}  // namespace fastgpu::agent
