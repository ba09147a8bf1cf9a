#include "agent/reconciler.h"

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

void AddVgpuEnv(const AttemptKey& key, int64_t memory_mib, int32_t milli, const HostEnv& host,
                std::map<std::string, std::string>* env) {
  (*env)["FASTGPU_VGPU_MEMORY_LIMIT"] = std::to_string(memory_mib * 1024 * 1024);
  (*env)["FASTGPU_VGPU_COMPUTE_SHARE"] = std::to_string(milli);
  if (!host.attempts_dir.empty()) {
    (*env)["FASTGPU_VGPU_SHM"] = host.attempts_dir + "/" + key.ToString() + "/vgpu.shm";
  }
  if (!host.vgpu_library.empty()) {
    auto job_preload = env->find("LD_PRELOAD");
    std::string preload = host.vgpu_library;
    if (job_preload != env->end() && !job_preload->second.empty()) {
      preload += ":" + job_preload->second;
    }
    (*env)["LD_PRELOAD"] = preload;
  }
}

// "fastgpu/<agent>/<job>-<attempt>": the agent part (a hash of its attempts folder) keeps two
// agents on one host, or two test clusters, out of each other's groups.
std::string CgroupName(const HostEnv& host, const AttemptKey& key) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : host.attempts_dir) h = (h ^ c) * 1099511628211ULL;
  char agent[17];
  std::snprintf(agent, sizeof(agent), "%016llx", static_cast<unsigned long long>(h));
  return std::string("fastgpu/") + agent + "/" + std::to_string(key.job) + "-" +
         std::to_string(key.attempt);
}

}  // namespace

LaunchSpec BuildLaunchSpec(const DesiredAttempt& attempt, const HostEnv& host) {
  LaunchSpec spec;
  spec.argv = attempt.argv;
  spec.workdir = attempt.workdir;
  spec.cgroup = CgroupName(host, attempt.key);
  spec.cpu_milli = attempt.cpu_milli;
  spec.memory_mib = attempt.memory_mib;
  auto& env = spec.env;
  env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  env["HOME"] = host.home.empty() ? "/" : host.home;
  if (!host.user.empty()) env["USER"] = host.user;
  env["LANG"] = "C.UTF-8";
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
  env.erase("FASTGPU_VGPU_MEMORY_LIMIT");
  env.erase("FASTGPU_VGPU_COMPUTE_SHARE");
  env.erase("FASTGPU_VGPU_SHM");
  if (slice) AddVgpuEnv(attempt.key, memory_mib, milli, host, &env);
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
