#include "agent/gpu_monitor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "agent/job_gpu_memory.h"

namespace fastgpu::agent {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr int64_t kMiB = 1024 * 1024;
constexpr unsigned kMaxEventWaitMs = 250;  // bounds Stop()'s latency

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

GpuMonitor::GpuMonitor(GpuMonitorOptions options, std::unique_ptr<GpuSampler> sampler,
                       std::vector<GpuDevice> devices)
    : options_(std::move(options)), sampler_(std::move(sampler)) {
  for (GpuDevice& d : devices) {
    DeviceState s;
    s.telemetry = StaticTelemetry(d);
    s.device = std::move(d);
    devices_.push_back(std::move(s));
  }
  std::vector<DeviceSample> first = sampler_->Sample();
  {
    std::lock_guard<std::mutex> lock(mu_);
    SampleLocked(std::move(first));
  }
  thread_ = std::thread([this] { Run(); });
}

GpuMonitor::~GpuMonitor() { Stop(); }

void GpuMonitor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void GpuMonitor::Run() {
  const auto period = std::chrono::milliseconds(std::max<int64_t>(options_.sample_ms, 1));
  auto next = SteadyClock::now() + period;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stopping_) return;
      if (!sampler_->HasEvents()) {
        cv_.wait_until(lock, next, [this] { return stopping_ || sample_now_; });
        if (stopping_) return;
      }
      if (sample_now_) next = SteadyClock::now();
      sample_now_ = false;
    }
    auto now = SteadyClock::now();
    if (sampler_->HasEvents() && now < next) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
      std::vector<XidHit> hits =
          sampler_->WaitXid(static_cast<unsigned>(std::min<int64_t>(left, kMaxEventWaitMs)));
      if (!hits.empty()) {
        std::lock_guard<std::mutex> lock(mu_);
        ApplyXidsLocked(hits);
      }
      continue;
    }
    std::vector<DeviceSample> samples = sampler_->Sample();
    {
      std::lock_guard<std::mutex> lock(mu_);
      SampleLocked(std::move(samples));
      samples_ += 1;
    }
    cv_.notify_all();
    next = SteadyClock::now() + period;
  }
}

void GpuMonitor::SampleNowForTest() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t before = samples_;
  sample_now_ = true;
  cv_.notify_all();
  cv_.wait(lock, [&] { return samples_ > before || stopping_; });
}

void GpuMonitor::SampleLocked(std::vector<DeviceSample> samples) {
  sampled_ms_ = WallMs();
  for (DeviceSample& s : samples) {
    auto it = std::find_if(devices_.begin(), devices_.end(), [&](const DeviceState& d) {
      return d.device.spec.index == s.telemetry.index;
    });
    if (it == devices_.end()) continue;
    it->telemetry = std::move(s.telemetry);
    it->present = s.present;
    EvaluateLocked(*it);
  }
  MatchProcessesLocked();
}

void GpuMonitor::ApplyXidsLocked(const std::vector<XidHit>& hits) {
  for (const XidHit& hit : hits) {
    for (DeviceState& d : devices_) {
      if (d.device.spec.index != hit.index) continue;
      d.xid_errors += 1;
      d.last_xid = hit.xid;
      if (XidIsCritical(options_.health, hit.xid)) {
        d.critical_xids += 1;
        d.last_critical_xid = hit.xid;
      }
      spdlog::warn("GPU {} ({}): XID {}", d.device.spec.index, d.device.spec.uuid, hit.xid);
      EvaluateLocked(d);
    }
  }
}

void GpuMonitor::EvaluateLocked(DeviceState& d) {
  core::DeviceTelemetry& t = d.telemetry;
  t.xid_errors = d.xid_errors;
  t.last_xid = d.last_xid;
  const std::string reason = UnhealthyReason(
      options_.health, HealthInput{d.present, t.ecc_uncorrected, d.critical_xids,
                                   d.last_critical_xid});
  const bool healthy = reason.empty();
  if (healthy != d.device.spec.healthy) {
    d.device.spec.healthy = healthy;
    health_version_.fetch_add(1);
    if (healthy) {
      spdlog::info("GPU {} ({}) is healthy again", d.device.spec.index, d.device.spec.uuid);
    } else {
      spdlog::warn("GPU {} ({}) is unhealthy: {}; it gets no new work", d.device.spec.index,
                   d.device.spec.uuid, reason);
    }
  }
  t.healthy = healthy;
  t.health = reason;
}

void GpuMonitor::MatchProcessesLocked() {
  std::map<int32_t, const MonitoredJob*> by_session;
  for (const MonitoredJob& j : jobs_) {
    if (int32_t sid = SessionOf(j.pid); sid > 0) by_session[sid] = &j;
  }
  std::map<AttemptKey, int64_t> held;
  for (DeviceState& d : devices_) {
    for (core::GpuProcess& p : d.telemetry.processes) {
      auto it = by_session.find(SessionOf(p.pid));
      if (it == by_session.end()) continue;
      p.job = it->second->key.job;
      held[it->second->key] += p.memory_mib.value_or(0);
    }
  }
  for (const auto& [key, mib] : held) peaks_[key] = std::max(peaks_[key], mib);
}

void GpuMonitor::SetJobs(std::vector<MonitoredJob> jobs) {
  std::lock_guard<std::mutex> lock(mu_);
  jobs_ = std::move(jobs);
  std::map<AttemptKey, int64_t> kept;
  for (const MonitoredJob& j : jobs_) {
    if (auto it = peaks_.find(j.key); it != peaks_.end()) kept.insert(*it);
  }
  peaks_ = std::move(kept);
}

core::NodeTelemetry GpuMonitor::Snapshot() const {
  std::vector<MonitoredJob> jobs;
  core::NodeTelemetry out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out.sampled_ms = sampled_ms_;
    for (const DeviceState& d : devices_) out.devices.push_back(d.telemetry);
    jobs = jobs_;
    for (const MonitoredJob& j : jobs) {
      auto it = peaks_.find(j.key);
      out.jobs.push_back(core::JobGpuMemory{j.key.job, j.key.attempt,
                                            it != peaks_.end() ? it->second : 0});
    }
  }
  for (size_t i = 0; i < jobs.size(); ++i) {  // the ledgers: file reads, outside the lock
    if (jobs[i].ledger.empty()) continue;
    const int64_t ledger_mib =
        static_cast<int64_t>((LedgerPeakBytes(jobs[i].ledger) + kMiB - 1) / kMiB);
    out.jobs[i].peak_mib = std::max(out.jobs[i].peak_mib, ledger_mib);
  }
  return out;
}

std::vector<core::DeviceSpec> GpuMonitor::Specs() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<core::DeviceSpec> out;
  for (const DeviceState& d : devices_) out.push_back(d.device.spec);
  return out;
}

}  // namespace fastgpu::agent
