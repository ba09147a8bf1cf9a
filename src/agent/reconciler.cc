#include "agent/reconciler.h"

#include <signal.h>
#include <strings.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace fastgpu::agent {

ReconcilePlan Reconcile(const std::vector<DesiredAttempt>& desired,
                        const std::set<AttemptKey>& started, const std::set<AttemptKey>& running) {
  ReconcilePlan plan;
  std::set<AttemptKey> wanted;
  for (const DesiredAttempt& a : desired) {
    bool first = wanted.insert(a.key).second;
    if (first && started.count(a.key) == 0) plan.start.push_back(a);
  }
  for (const AttemptKey& key : running) {
    if (wanted.count(key) == 0) plan.stop.push_back(key);
  }
  return plan;
}

namespace {

// MPS's own limits for a slice (see BuildLaunchSpec).
void AddMpsEnv(int64_t memory_mib, int32_t milli, const HostEnv& host,
               std::map<std::string, std::string>* env) {
  (*env)["CUDA_MPS_PIPE_DIRECTORY"] = host.mps_pipe_dir;
  if (milli > 0 && milli < core::kWholeGpuMilli) {
    (*env)["CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"] = std::to_string((milli + 9) / 10);
  }
  if (memory_mib > 0) (*env)["CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"] = "0=" + std::to_string(memory_mib) + "M";
}

// The ledger lives in the job's private folder: its processes must write it, nobody else may.
void AddVgpuEnv(const LaunchSpec& spec, int64_t memory_mib, int32_t milli, const HostEnv& host,
                std::map<std::string, std::string>* env) {
  (*env)["FASTGPU_VGPU_MEMORY_LIMIT"] = std::to_string(memory_mib * 1024 * 1024);
  (*env)["FASTGPU_VGPU_COMPUTE_SHARE"] = std::to_string(milli);
  if (!spec.job_dir.empty()) (*env)["FASTGPU_VGPU_SHM"] = spec.job_dir + "/vgpu.shm";
  if (!host.vgpu_library.empty()) {
    auto job_preload = env->find("LD_PRELOAD");
    std::string preload = host.vgpu_library;
    if (job_preload != env->end() && !job_preload->second.empty()) {
      preload += ":" + job_preload->second;
    }
    (*env)["LD_PRELOAD"] = preload;
  }
}

std::string CgroupName(const HostEnv& host, const AttemptKey& key) {
  return AgentCgroupParent(host.attempts_dir) + "/" + key.ToString();
}

}  // namespace

std::string AgentCgroupParent(const std::string& attempts_dir) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : attempts_dir) h = (h ^ c) * 1099511628211ULL;
  char agent[17];
  std::snprintf(agent, sizeof(agent), "%016llx", static_cast<unsigned long long>(h));
  return std::string("fastgpu/") + agent;
}

int SignalNumber(const std::string& name) {
  static const struct {
    const char* name;
    int number;
  } kSignals[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
                  {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"ALRM", SIGALRM},
                  {"CONT", SIGCONT}, {"WINCH", SIGWINCH}, {"PWR", SIGPWR}, {"XCPU", SIGXCPU}};
  std::string n = name;
  if (n.size() > 3 && strncasecmp(n.c_str(), "SIG", 3) == 0) n = n.substr(3);
  for (const auto& s : kSignals) {
    if (strcasecmp(n.c_str(), s.name) == 0) return s.number;
  }
  int v = 0;
  for (char c : name) {
    if (c < '0' || c > '9' || v > 64) return 0;
    v = v * 10 + (c - '0');
  }
  return v >= 1 && v <= 64 ? v : 0;
}

namespace {

// The job's private folder, workdir and home from the attempt and the host.
void PlaceJob(const DesiredAttempt& attempt, const HostEnv& host, const JobIdentity& who,
              LaunchSpec& spec) {
  if (!host.attempts_dir.empty()) {
    spec.job_dir = host.attempts_dir + "/" + attempt.key.ToString() + "/job";
  }
  std::string workdir = !attempt.workdir.empty() ? attempt.workdir
                        : !spec.job_dir.empty()  ? spec.job_dir + "/work"
                                                 : "";
  auto& env = spec.env;
  if (who.uid >= 0) {
    env["HOME"] = !who.home.empty() && who.home != "/nonexistent" ? who.home
                  : !workdir.empty()                               ? workdir
                                                                   : "/";
  } else {
    env["HOME"] = host.home.empty() ? "/" : host.home;
  }
  std::string user = who.uid >= 0 ? who.user : host.user;
  if (!user.empty()) {
    env["USER"] = user;
    env["LOGNAME"] = user;
  }
  if (!spec.job_dir.empty()) env["TMPDIR"] = host.private_tmp ? "/tmp" : spec.job_dir + "/tmp";
}

}  // namespace

LaunchSpec BuildLaunchSpec(const DesiredAttempt& attempt, const HostEnv& host,
                           const JobIdentity& who) {
  LaunchSpec spec;
  spec.argv = attempt.argv;
  spec.workdir = attempt.workdir;
  spec.cgroup = CgroupName(host, attempt.key);
  spec.cpu_milli = attempt.cpu_milli;
  spec.memory_mib = attempt.memory_mib;
  spec.uid = who.uid;
  spec.gid = who.uid >= 0 ? who.gid : -1;
  spec.private_tmp = host.private_tmp && !host.attempts_dir.empty();
  if (!host.mps_pipe_dir.empty()) spec.visible_paths.push_back(host.mps_pipe_dir);
  if (spec.private_tmp) spec.cover_dir = host.cover_dir;
  spec.keep_job_dir = attempt.keep_outputs;
  spec.time_limit_ms = attempt.time_limit_s * 1000;
  int stop = SignalNumber(attempt.stop_signal);
  spec.stop_signal = stop > 0 ? stop : SIGTERM;
  spec.log_max_bytes = host.log_max_bytes;
  spec.device_backend = host.device_backend;
  for (const cgroup::DeviceRule& rule : DeniedFor(host.device_files, attempt.devices)) {
    spec.deny_devices.push_back(cgroup::FormatDeviceRule(rule));
  }
  auto& env = spec.env;
  env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  env["LANG"] = "C.UTF-8";
  PlaceJob(attempt, host, who, spec);
  for (const auto& [k, v] : attempt.env) env[k] = v;

  std::string indexes;
  std::string uuids;
  bool slice = false;
  int64_t memory_mib = 0;
  int32_t milli = core::kWholeGpuMilli;
  for (const core::DeviceGrant& d : attempt.devices) {
    if (!indexes.empty()) {
      indexes += ",";
      uuids += ",";
    }
    auto visible = host.visible_ids.find(d.index);
    indexes += visible != host.visible_ids.end() ? visible->second : std::to_string(d.index);
    uuids += d.uuid;
    auto device = host.device_memory_mib.find(d.index);
    bool memory_capped = d.slice.memory_mib > 0 && (device == host.device_memory_mib.end() ||
                                                    d.slice.memory_mib < device->second);
    if (d.slice.milli < core::kWholeGpuMilli || memory_capped) {
      slice = true;
      memory_mib = memory_capped ? d.slice.memory_mib : 0;
      milli = d.slice.milli;
    }
  }
  env["CUDA_VISIBLE_DEVICES"] = indexes;
  env["FASTGPU_JOB_ID"] = std::to_string(attempt.key.job);
  env["FASTGPU_ATTEMPT"] = std::to_string(attempt.key.attempt);
  env["FASTGPU_GPUS"] = uuids;
  if (!host.checkpoint_root.empty()) {
    spec.checkpoint_dir = host.checkpoint_root + "/" + std::to_string(attempt.key.job);
    env["FASTGPU_CHECKPOINT_DIR"] = spec.checkpoint_dir;
  } else {
    env.erase("FASTGPU_CHECKPOINT_DIR");
  }
  if (attempt.world_size > 1) {  // one rank per node; torch.distributed's env:// rendezvous
    env["MASTER_ADDR"] = attempt.master_addr;
    env["MASTER_PORT"] = std::to_string(attempt.master_port);
    env["WORLD_SIZE"] = std::to_string(attempt.world_size);
    env["RANK"] = std::to_string(attempt.rank);
    env["LOCAL_RANK"] = "0";
    env["FASTGPU_NODE_RANK"] = std::to_string(attempt.rank);
  }
  env.erase("FASTGPU_VGPU_MEMORY_LIMIT");
  env.erase("FASTGPU_VGPU_COMPUTE_SHARE");
  env.erase("FASTGPU_VGPU_SHM");
  if (slice) AddVgpuEnv(spec, memory_mib, milli, host, &env);
  if (slice && !host.mps_pipe_dir.empty()) {
    for (const char* k : {"CUDA_MPS_PIPE_DIRECTORY", "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE",
                          "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"}) {
      env.erase(k);
    }
    AddMpsEnv(memory_mib, milli, host, &env);
  }
  return spec;
}

}  // namespace fastgpu::agent
