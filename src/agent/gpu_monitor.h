#pragma once
// GpuMonitor: the agent's view of its devices while it runs. A thread of its own samples the
// devices every sample_ms (gpu_sampler.h) and, between samples, waits for XID events; from
// that it keeps each device's telemetry and health (gpu_health.h) and each job's GPU memory
// high-water mark (job_gpu_memory.h). The reporter puts Snapshot() in its heartbeats and
// reports at once when health_version() moves.
//
// Health: a device is unhealthy once it had a critical XID (for the agent's lifetime), while
// its uncorrected ECC count is over the policy's limit, and while NVML no longer lists it.
//
// Safe for concurrent use: Snapshot(), SetJobs() and health_version() may be called from any
// thread while the monitor's thread runs.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/gpu_discovery.h"
#include "agent/gpu_health.h"
#include "agent/gpu_sampler.h"
#include "agent/runner/attempt_key.h"
#include "core/model/telemetry.h"

namespace fastgpu::agent {

// A local attempt whose GPU memory is watched.
struct MonitoredJob {
  AttemptKey key;
  int32_t pid = 0;     // the job's pid (its processes share its session); 0 while unknown
  std::string ledger;  // its vGPU ledger file ("" when it has none)
  bool operator==(const MonitoredJob&) const = default;
};

struct GpuMonitorOptions {
  int64_t sample_ms = 5000;
  HealthPolicy health;
};

class GpuMonitor {
 public:
  // Takes one sample at once (so Snapshot() and Healthy() mean something before the first
  // period), then starts the thread. `devices` are the registered devices.
  GpuMonitor(GpuMonitorOptions options, std::unique_ptr<GpuSampler> sampler,
             std::vector<GpuDevice> devices);
  ~GpuMonitor();  // Stop()
  GpuMonitor(const GpuMonitor&) = delete;
  GpuMonitor& operator=(const GpuMonitor&) = delete;

  // Ends the thread (within about 250 ms). Idempotent.
  void Stop();

  // The attempts to watch from now on (the reporter's running and not yet acked ones). A job
  // dropped from the set loses its high-water mark.
  void SetJobs(std::vector<MonitoredJob> jobs);

  // The last sample with health, and every watched job's high-water mark: the larger of what
  // NVML showed its processes holding at the samples and its ledger's peak (read now).
  core::NodeTelemetry Snapshot() const;

  // The registered devices with `healthy` as of the last sample.
  std::vector<core::DeviceSpec> Specs() const;

  // Moves whenever a device's health changes.
  uint64_t health_version() const { return health_version_.load(); }

  // Makes the monitor's thread sample now and waits until it has (at most one event wait,
  // 250 ms, later).
  void SampleNowForTest();

 private:
  struct DeviceState {
    GpuDevice device;
    core::DeviceTelemetry telemetry;
    bool present = true;
    int64_t critical_xids = 0;
    int64_t xid_errors = 0;
    std::optional<int64_t> last_critical_xid;
    std::optional<int64_t> last_xid;
  };
  void Run();
  void SampleLocked(std::vector<DeviceSample> samples);  // mu_ held
  void ApplyXidsLocked(const std::vector<XidHit>& hits);  // mu_ held
  void EvaluateLocked(DeviceState& d);                    // mu_ held
  void MatchProcessesLocked();                            // mu_ held

  const GpuMonitorOptions options_;
  std::unique_ptr<GpuSampler> sampler_;  // the monitor thread only (and the constructor)

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;               // guarded by mu_
  bool sample_now_ = false;             // guarded by mu_
  uint64_t samples_ = 0;                // guarded by mu_
  std::vector<DeviceState> devices_;    // guarded by mu_
  std::vector<MonitoredJob> jobs_;      // guarded by mu_
  std::map<AttemptKey, int64_t> peaks_;  // NVML high-water marks, MiB; guarded by mu_
  int64_t sampled_ms_ = 0;              // guarded by mu_
  std::atomic<uint64_t> health_version_{0};
  std::thread thread_;
};

}  // namespace fastgpu::agent
