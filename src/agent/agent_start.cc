// AgentHandle::Start: discovers devices, adopts what runs, probes what the node can enforce
// and starts the agent's loops.
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "agent/agent_impl.h"
#include "agent/cgroup/cgroup.h"
#include "agent/device_files.h"
#include "agent/gpu_setup.h"
#include "agent/host_info.h"

namespace fastgpu::agent {
namespace {

// Kills and removes the groups below the agent's own whose attempt is not running any more
// (their supervisor was killed, so nobody else will).
void SweepStaleGroups(const std::string& parent, ProcessRunner& runner) {
  auto h = cgroup::Detect();
  if (!h.ok()) return;
  std::set<std::string> live;
  for (const AttemptStatus& s : runner.Poll()) {
    if (s.phase != AttemptPhase::kExited) live.insert(s.key.ToString());
  }
  for (const std::string& child : cgroup::Children(*h, parent)) {
    if (live.contains(child)) continue;
    cgroup::Group g = cgroup::Existing(*h, parent + "/" + child);
    cgroup::KillAll(g).IgnoreError();
    if (cgroup::Remove(g).ok()) spdlog::info("removed the stale cgroup {}/{}", parent, child);
  }
}

// The highest folder on the way to `dir` that other users may not pass through (no o+x), or
// `dir` itself: what a job's mount namespace covers with an empty tmpfs.
std::string CoverDir(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    struct stat st;
    if (::stat(prefix.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) return prefix;
  }
  return dir;
}

// Probes what the node enforces and says so in the log.
NodeIsolation ProbeAndLog(const AgentOptions& options, const std::string& data_dir,
                          const std::string& cgroup_parent, const JobUsers& users,
                          bool* use_private_tmp) {
  IsolationProbe probe{cgroup_parent, options.device_backend, options.private_tmp,
                       users.Describe(), users.SeparatesTenants()};
  NodeIsolation isolation = ProbeIsolation(probe, use_private_tmp);
  std::string blocked = CoverDir(data_dir);
  if (users.SeparatesTenants() && !*use_private_tmp && blocked != data_dir) {
    isolation.warnings.push_back(
        "job users cannot pass through " + blocked + " to their folders in " + data_dir +
        " (no private mounts to bind them back): jobs will fail to start; use a data folder "
        "every user may pass through, e.g. /var/lib/fastgpu");
    isolation.isolates_tenants = false;
  }
  spdlog::info("isolation: cgroups {}; GPU devices {}; users {}; private /tmp {}",
               isolation.cgroups, isolation.devices, isolation.users, isolation.private_tmp);
  for (const std::string& w : isolation.warnings) spdlog::warn("isolation: {}", w);
  return isolation;
}


}  // namespace


Result<std::unique_ptr<AgentHandle>> AgentHandle::Start(const AgentOptions& options) {
  if (options.server_url.empty()) return InvalidArgument("server URL is empty", "server");
  if (options.data_dir.empty()) return InvalidArgument("data_dir is empty", "data_dir");
  HostInfo host = ReadHostInfo();
  AgentImpl::Parts parts;
  Registration& reg = parts.registration;
  reg.name = options.name.empty() ? host.hostname : options.name;
  reg.cpu_milli = host.cpu_milli;
  reg.memory_mib = host.memory_mib;
  // Where other nodes reach this one: the rendezvous of multi-node jobs whose rank 0 runs here.
  if (!options.address.empty()) reg.labels["fastgpu/address"] = options.address;
  FG_ASSIGN_OR_RETURN(NodeGpus gpus, SetUpGpus(options, reg.name));
  reg.simulated = gpus.simulated;
  reg.devices = gpus.monitor->Specs();

  RunnerOptions runner_options{options.data_dir, options.supervisor_command, options.kill_grace_ms,
                               options.supervisor_launcher};
  FG_ASSIGN_OR_RETURN(parts.runner, ProcessRunner::Create(std::move(runner_options)));
  const std::string data_dir = std::filesystem::absolute(options.data_dir).string();
  FG_ASSIGN_OR_RETURN(parts.users, JobUsers::Open(options.users, data_dir + "/tenant-uids.json",
                                                  ::geteuid() == 0));
  HostEnv& env = parts.host_env;
  env.home = host.home;
  env.user = host.user;
  env.attempts_dir = data_dir + "/attempts";
  env.checkpoint_root =
      options.checkpoint_root.empty() ? data_dir + "/checkpoints" : options.checkpoint_root;
  env.device_files = ScanDeviceFiles(options.device_dir);
  env.device_backend = options.device_backend;
  env.log_max_bytes = options.log_max_bytes;
  AddGpuHostEnv(gpus, options, &env);
  parts.monitor = std::move(gpus.monitor);
  const std::string cgroup_parent = AgentCgroupParent(env.attempts_dir);
  WriteFileAtomic(data_dir + "/cgroup", cgroup_parent + "\n").IgnoreError();
  SweepStaleGroups(cgroup_parent, *parts.runner);
  parts.isolation =
      ProbeAndLog(options, data_dir, cgroup_parent, *parts.users, &env.private_tmp);
  env.cover_dir = CoverDir(data_dir);

  FG_ASSIGN_OR_RETURN(
      parts.watch_client,
      ServerClient::Create(options.server_url, options.join_token, options.desired_wait_ms + 5000,
                           options.ca_file));
  FG_ASSIGN_OR_RETURN(parts.report_client,
                      ServerClient::Create(options.server_url, options.join_token, 10000,
                                               options.ca_file));
  auto agent = std::make_unique<AgentImpl>(options, std::move(parts));
  agent->Run();
  return std::unique_ptr<AgentHandle>(std::move(agent));
}

}  // namespace fastgpu::agent
