#include "agent/isolation.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/cgroup/cgroup.h"

namespace fastgpu::agent {
namespace {

bool Holds(const std::string& boundary) { return boundary.rfind("none", 0) != 0; }

// Makes and removes a probe group with one device rule; sets cgroups and devices.
void ProbeCgroups(const IsolationProbe& probe, NodeIsolation& out) {
  auto h = cgroup::Detect();
  if (!h.ok()) {
    out.cgroups = "none: " + h.error().message();
    out.devices = "none: no cgroups";
    return;
  }
  cgroup::Limits limits;
  limits.deny_devices = {{'c', 195, 253}};  // an unused NVIDIA minor: harmless to deny
  limits.device_backend = probe.device_backend == "cgroup-v1-devices" ? cgroup::DeviceBackend::kV1
                          : probe.device_backend == "bpf"             ? cgroup::DeviceBackend::kBpf
                          : probe.device_backend == "none"            ? cgroup::DeviceBackend::kNone
                                                           : cgroup::DeviceBackend::kAuto;
  std::string name = probe.cgroup_parent + "/probe-" + std::to_string(::getpid());
  auto g = cgroup::Create(*h, name, limits);
  if (!g.ok()) {
    out.cgroups = "none: " + g.error().message();
    out.devices = "none: no cgroups";
    return;
  }
  out.cgroups = h->mode == cgroup::Mode::kV2 ? "cgroup v2" : "cgroup v1";
  out.devices = g->devices_error.empty() ? cgroup::DeviceBackendName(g->devices)
                                         : "none: " + g->devices_error;
  cgroup::Remove(*g).IgnoreError();  // the agent's folder above it stays for its jobs
}

// In a child: a mount namespace with a slave root and a hidepid procfs, as jobs get.
std::string ProbeMountNamespace() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::strerror(errno);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const char* what = nullptr;
    if (::unshare(CLONE_NEWNS) != 0) {
      what = "unshare(CLONE_NEWNS)";
    } else if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
      what = "make / a slave mount";
    } else if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                       "hidepid=invisible") != 0 &&
               ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") !=
                   0) {
      what = "mount proc with hidepid";
    }
    if (what != nullptr) {
      std::string msg = std::string(what) + ": " + std::strerror(errno);
      ssize_t ignored = ::write(fds[1], msg.data(), msg.size());
      (void)ignored;
      ::_exit(1);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return std::string("fork: ") + std::strerror(errno);
  }
  char buf[256];
  ssize_t n = ::read(fds[0], buf, sizeof(buf));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "the probe failed";
}

}  // namespace

std::map<std::string, std::string> NodeIsolation::AsMap() const {
  return {
      {"cgroups", cgroups}, {"devices", devices}, {"users", users}, {"private_tmp", private_tmp}};
}

NodeIsolation ProbeIsolation(const IsolationProbe& probe, bool* use_private_tmp) {
  NodeIsolation out;
  ProbeCgroups(probe, out);
  out.users = probe.users;
  *use_private_tmp = false;
  if (!probe.private_tmp) {
    out.private_tmp = "none: turned off (--private-tmp=false)";
  } else if (std::string why = ProbeMountNamespace(); !why.empty()) {
    out.private_tmp = "none: " + why;
  } else {
    out.private_tmp = "mount namespace";
    *use_private_tmp = true;
  }
  if (!Holds(out.cgroups))
    out.warnings.push_back("no cgroups (" + out.cgroups +
                           "): jobs run without CPU, memory or device limits");
  if (Holds(out.cgroups) && !Holds(out.devices))
    out.warnings.push_back("GPU device files are not restricted (" + out.devices +
                           "): a job can open every GPU of the node");
  if (!probe.users_separate)
    out.warnings.push_back("jobs of different tenants share a Unix user (" + out.users + ")");
  if (!Holds(out.private_tmp))
    out.warnings.push_back("no private /tmp and /dev/shm (" + out.private_tmp +
                           "): jobs share the node's");
  out.isolates_tenants = out.warnings.empty();
  return out;
}

}  // namespace fastgpu::agent
