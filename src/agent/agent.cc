// AgentHandle::Start and the agent's two loops: the watcher (register, long-poll the desired
// set, start and stop attempts) and the reporter (ship logs, report attempts, heartbeat).

#include "agent/agent.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "agent/gpu_monitor.h"
#include "agent/gpu_setup.h"
#include "agent/host_info.h"
#include "agent/log_shipper.h"
#include "agent/reconciler.h"
#include "agent/runner/process_runner.h"
#include "agent/server_client.h"

namespace fastgpu::agent {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kReportTick{200};
constexpr milliseconds kMinBackoff{200};
constexpr milliseconds kMaxBackoff{5000};

milliseconds NextBackoff(milliseconds b) { return std::min(b * 2, kMaxBackoff); }

class AgentImpl final : public AgentHandle {
 public:
  AgentImpl(AgentOptions options, Registration registration, HostEnv host_env,
            std::unique_ptr<GpuMonitor> monitor, std::unique_ptr<ProcessRunner> runner,
            std::unique_ptr<ServerClient> watch_client,
            std::unique_ptr<ServerClient> report_client)
      : options_(std::move(options)),
        registration_(std::move(registration)),
        host_env_(std::move(host_env)),
        monitor_(std::move(monitor)),
        runner_(std::move(runner)),
        watch_client_(std::move(watch_client)),
        report_client_(std::move(report_client)) {
    for (const AttemptKey& key : runner_->Tracked()) started_.insert(key);
  }
  ~AgentImpl() override { Stop(); }

  void Run() {
    watcher_ = std::thread([this] {
      WatchLoop();
      watcher_done_ = true;
    });
    reporter_ = std::thread([this] {
      ReportLoop();
      reporter_done_ = true;
    });
  }

  std::string name() const override { return registration_.name; }
  int gpu_count() const override { return static_cast<int>(registration_.devices.size()); }
  bool simulated() const override { return registration_.simulated; }

  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ && !watcher_.joinable() && !reporter_.joinable()) return;
      stopping_ = true;
    }
    cv_.notify_all();
    // A long poll or report may be in flight: interrupt until both threads are out.
    auto deadline = SteadyClock::now() + milliseconds(2000);
    while ((!watcher_done_ || !reporter_done_) && SteadyClock::now() < deadline) {
      watch_client_->Interrupt();
      report_client_->Interrupt();
      std::this_thread::sleep_for(milliseconds(10));
    }
    if (watcher_.joinable()) watcher_.join();
    if (reporter_.joinable()) reporter_.join();
    monitor_->Stop();
  }

 private:
  bool stopping() {
    std::lock_guard<std::mutex> lock(mu_);
    return stopping_;
  }
  // Sleeps up to `d` or until Stop() (or a Nudge()); returns false when stopping.
  bool WaitFor(milliseconds d) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, d, [this] { return stopping_ || nudged_; });
    nudged_ = false;
    return !stopping_;
  }
  void Nudge() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      nudged_ = true;
    }
    cv_.notify_all();
  }
  void MarkUnregistered() {
    std::lock_guard<std::mutex> lock(mu_);
    registered_ = false;
  }

  bool EnsureRegistered(ServerClient& client);
  void WatchLoop();
  void ApplyDesired(const DesiredSet& desired);
  void ReportLoop();
  // One reporter round; returns false when the server could not be reached.
  bool ReportOnce();
  // Whether some attempt was never in a report the server accepted.
  bool HasUnannounced(const std::vector<AttemptStatus>& statuses) const;
  static std::vector<AttemptReport> RunningReports(const std::vector<AttemptStatus>& statuses);
  static AttemptReport ToReport(const AttemptStatus& s);
  // Sends `reports` unless they equal the last accepted ones and a heartbeat is not due (or
  // `force`); forgets the attempts the server acknowledges. False when the server is away.
  bool SendReport(std::vector<AttemptReport> reports, bool force);

  const AgentOptions options_;
  const Registration registration_;
  const HostEnv host_env_;
  std::unique_ptr<GpuMonitor> monitor_;  // safe for concurrent use
  std::unique_ptr<ProcessRunner> runner_;
  std::unique_ptr<ServerClient> watch_client_;
  std::unique_ptr<ServerClient> report_client_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;        // guarded by mu_
  bool nudged_ = false;          // guarded by mu_
  bool registered_ = false;      // guarded by mu_
  int64_t heartbeat_ms_ = 2000;  // guarded by mu_
  std::mutex register_mu_;       // one registration at a time

  std::atomic<bool> watcher_done_{false};
  std::atomic<bool> reporter_done_{false};
  std::thread watcher_;
  std::thread reporter_;

  std::set<AttemptKey> started_;             // watcher thread only (set before it starts)
  LogShipper shipper_;                       // reporter thread only
  std::vector<AttemptReport> last_reports_;  // reporter thread only
  SteadyClock::time_point last_report_at_;   // reporter thread only
  uint64_t reported_health_ = 0;             // reporter thread only: health_version() sent
};

bool AgentImpl::EnsureRegistered(ServerClient& client) {
  std::lock_guard<std::mutex> reg_lock(register_mu_);
  milliseconds backoff = kMinBackoff;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return false;
      if (registered_) return true;
    }
    Registration registration = registration_;
    registration.devices = monitor_->Specs();  // with the devices' health as of now
    Result<int64_t> hb = client.Register(registration);
    if (hb.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        registered_ = true;
        heartbeat_ms_ = *hb;
      }
      spdlog::info("registered node '{}' with {} ({} GPUs{}), heartbeat {} ms", registration_.name,
                   options_.server_url, registration_.devices.size(),
                   registration_.simulated ? ", simulated" : "", *hb);
      Nudge();
      return true;
    }
    if (hb.error().code() == StatusCode::kUnauthenticated) {
      spdlog::error("register: the server rejected the join token ({}); retrying",
                    hb.error().message());
    } else {
      spdlog::warn("register: {}; retrying in {} ms", hb.error().ToString(), backoff.count());
    }
    if (!WaitFor(backoff)) return false;
    backoff = NextBackoff(backoff);
  }
}

void AgentImpl::WatchLoop() {
  int64_t version = 0;
  milliseconds backoff = kMinBackoff;
  while (EnsureRegistered(*watch_client_)) {
    Result<DesiredSet> desired =
        watch_client_->GetDesired(registration_.name, version, options_.desired_wait_ms);
    if (stopping()) return;
    if (!desired.ok()) {
      if (desired.error().code() == StatusCode::kNotFound) {
        spdlog::warn("the server does not know this node; registering again");
        MarkUnregistered();
        version = 0;
        continue;
      }
      spdlog::warn("desired: {}; retrying in {} ms", desired.error().ToString(), backoff.count());
      if (!WaitFor(backoff)) return;
      backoff = NextBackoff(backoff);
      continue;
    }
    backoff = kMinBackoff;
    version = desired->version;
    ApplyDesired(*desired);
  }
}

void AgentImpl::ApplyDesired(const DesiredSet& desired) {
  std::set<AttemptKey> running;
  for (const AttemptStatus& s : runner_->Poll()) {
    if (s.phase != AttemptPhase::kExited && !s.stopping) running.insert(s.key);
  }
  ReconcilePlan plan = Reconcile(desired.attempts, started_, running);
  for (const DesiredAttempt& a : plan.start) {
    started_.insert(a.key);
    Status st = runner_->Start(a.key, BuildLaunchSpec(a, host_env_));
    if (st.ok()) {
      spdlog::info("started attempt {} ({})", a.key.ToString(), a.argv.empty() ? "" : a.argv[0]);
    } else if (st.code() == StatusCode::kAlreadyExists) {
      spdlog::info("attempt {} was started before; not starting it again", a.key.ToString());
    } else {
      spdlog::error("attempt {}: {}", a.key.ToString(), st.ToString());
    }
  }
  for (const AttemptKey& key : plan.stop) {
    spdlog::info("stopping attempt {} (no longer desired)", key.ToString());
    Status st = runner_->Signal(key, SIGTERM);
    if (!st.ok()) spdlog::warn("stop attempt {}: {}", key.ToString(), st.ToString());
  }
  if (!plan.start.empty() || !plan.stop.empty()) Nudge();
}

void AgentImpl::ReportLoop() {
  milliseconds wait = kReportTick;
  while (WaitFor(wait)) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!registered_) continue;
    }
    wait = ReportOnce() ? kReportTick : NextBackoff(std::max(wait, kMinBackoff));
  }
}

bool AgentImpl::ReportOnce() {
  std::vector<AttemptStatus> statuses;
  std::vector<MonitoredJob> watched;
  for (AttemptStatus& s : runner_->Poll()) {
    watched.push_back(MonitoredJob{s.key, s.pid, s.dir + "/vgpu.shm"});
    if (s.phase != AttemptPhase::kStarting) statuses.push_back(std::move(s));
  }
  monitor_->SetJobs(std::move(watched));
  // Announce new attempts as running before shipping any of their bytes, so that nobody can
  // read a job's output while the server still shows it as scheduled.
  if (HasUnannounced(statuses) && !SendReport(RunningReports(statuses), /*force=*/true)) {
    return false;
  }
  std::vector<AttemptReport> reports;
  for (const AttemptStatus& s : statuses) {
    Result<bool> shipped = shipper_.Ship(*report_client_, registration_.name, s);
    bool logs_complete = false;
    if (shipped.ok()) {
      logs_complete = *shipped;
    } else if (shipped.error().code() == StatusCode::kInternal) {
      spdlog::warn("attempt {}: {}", s.key.ToString(), shipped.error().ToString());
    } else {
      if (shipped.error().code() == StatusCode::kNotFound) MarkUnregistered();
      spdlog::warn("logs: {}", shipped.error().ToString());
      return false;
    }
    // Report an end only once its logs are all shipped.
    if (s.phase == AttemptPhase::kExited && !logs_complete) continue;
    reports.push_back(ToReport(s));
  }
  return SendReport(std::move(reports), /*force=*/false);
}

bool AgentImpl::HasUnannounced(const std::vector<AttemptStatus>& statuses) const {
  for (const AttemptStatus& s : statuses) {
    bool known = std::any_of(last_reports_.begin(), last_reports_.end(),
                             [&](const AttemptReport& r) { return r.key == s.key; });
    if (!known) return true;
  }
  return false;
}

std::vector<AttemptReport> AgentImpl::RunningReports(const std::vector<AttemptStatus>& statuses) {
  std::vector<AttemptReport> reports;
  for (const AttemptStatus& s : statuses) {
    AttemptReport r;
    r.key = s.key;
    r.pid = s.pid;
    r.started_ms = s.started_ms;
    reports.push_back(std::move(r));
  }
  return reports;
}

AttemptReport AgentImpl::ToReport(const AttemptStatus& s) {
  AttemptReport r;
  r.key = s.key;
  r.pid = s.pid;
  r.started_ms = s.started_ms;
  if (s.phase == AttemptPhase::kExited) {
    r.exited = true;
    r.pid = 0;
    r.exit_code = s.exit.exit_code;
    r.signal = s.exit.signal;
    r.finished_ms = s.exit.finished_ms;
    r.error = s.exit.error;
    r.oom_killed = s.exit.oom_killed;
  }
  return r;
}

bool AgentImpl::SendReport(std::vector<AttemptReport> reports, bool force) {
  int64_t heartbeat_ms;
  {
    std::lock_guard<std::mutex> lock(mu_);
    heartbeat_ms = heartbeat_ms_;
  }
  auto now = SteadyClock::now();
  bool fresh = now - last_report_at_ < milliseconds(heartbeat_ms);
  const uint64_t health = monitor_->health_version();
  const bool health_changed = health != reported_health_;
  if (!force && reports == last_reports_ && fresh && !health_changed) return true;
  // Telemetry rides on heartbeats and on health changes, not on every attempt change.
  std::optional<core::NodeTelemetry> telemetry;
  if (!fresh || health_changed) telemetry = monitor_->Snapshot();
  Result<std::vector<AttemptKey>> acked = report_client_->Report(
      registration_.name, reports, telemetry ? &*telemetry : nullptr);
  if (!acked.ok()) {
    if (acked.error().code() == StatusCode::kNotFound) MarkUnregistered();
    spdlog::warn("report: {}", acked.error().ToString());
    return false;
  }
  last_reports_ = std::move(reports);
  if (telemetry) {
    last_report_at_ = now;
    reported_health_ = health;
  }
  for (const AttemptKey& key : *acked) {
    if (runner_->Forget(key).ok()) {
      shipper_.Forget(key);
      spdlog::info("attempt {} acknowledged by the server", key.ToString());
    }
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<AgentHandle>> AgentHandle::Start(const AgentOptions& options) {
  if (options.server_url.empty()) return InvalidArgument("server URL is empty", "server");
  if (options.data_dir.empty()) return InvalidArgument("data_dir is empty", "data_dir");
  HostInfo host = ReadHostInfo();
  Registration reg;
  reg.name = options.name.empty() ? host.hostname : options.name;
  reg.cpu_milli = host.cpu_milli;
  reg.memory_mib = host.memory_mib;
  FG_ASSIGN_OR_RETURN(NodeGpus gpus, SetUpGpus(options, reg.name));
  reg.simulated = gpus.simulated;
  reg.devices = gpus.monitor->Specs();
  HostEnv env{host.home, host.user, {}, "",
              std::filesystem::absolute(options.data_dir).string() + "/attempts"};
  AddGpuHostEnv(gpus, options, &env);

  FG_ASSIGN_OR_RETURN(
      std::unique_ptr<ServerClient> watch_client,
      ServerClient::Create(options.server_url, options.join_token, options.desired_wait_ms + 5000));
  FG_ASSIGN_OR_RETURN(std::unique_ptr<ServerClient> report_client,
                      ServerClient::Create(options.server_url, options.join_token, 10000));
  RunnerOptions runner_options{options.data_dir, options.supervisor_command, options.kill_grace_ms};
  FG_ASSIGN_OR_RETURN(std::unique_ptr<ProcessRunner> runner,
                      ProcessRunner::Create(std::move(runner_options)));
  auto agent = std::make_unique<AgentImpl>(options, std::move(reg), std::move(env),
                                           std::move(gpus.monitor), std::move(runner),
                                           std::move(watch_client), std::move(report_client));
  agent->Run();
  return std::unique_ptr<AgentHandle>(std::move(agent));
}

}  // namespace fastgpu::agent
