#pragma once
// AgentImpl: the agent behind AgentHandle (agent.h). Two threads: the watcher (register,
// long-poll the desired set, start and stop attempts) and the reporter (ship logs, report
// attempts and the node's status: the heartbeat). Built by AgentHandle::Start
// (agent_start.cc); the loops are in agent.cc. Internal to src/agent.

#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "agent/agent.h"
#include "agent/exit_watcher.h"
#include "agent/gpu_monitor.h"
#include "agent/health_check.h"
#include "agent/isolation.h"
#include "agent/job_users.h"
#include "agent/log_shipper.h"
#include "agent/reconciler.h"
#include "agent/runner/process_runner.h"
#include "agent/server_client.h"

namespace fastgpu::agent {

class AgentImpl final : public AgentHandle {
  using SteadyClock = std::chrono::steady_clock;
  using milliseconds = std::chrono::milliseconds;

 public:
  // The parts an agent is made of; see Start().
  struct Parts {
    Registration registration;
    HostEnv host_env;
    NodeIsolation isolation;
    std::unique_ptr<GpuMonitor> monitor;
    std::unique_ptr<JobUsers> users;
    std::unique_ptr<ProcessRunner> runner;
    std::unique_ptr<ServerClient> watch_client;
    std::unique_ptr<ServerClient> report_client;
  };
  AgentImpl(AgentOptions options, Parts parts)
      : options_(std::move(options)),
        registration_(std::move(parts.registration)),
        host_env_(std::move(parts.host_env)),
        isolation_(std::move(parts.isolation)),
        monitor_(std::move(parts.monitor)),
        users_(std::move(parts.users)),
        runner_(std::move(parts.runner)),
        watch_client_(std::move(parts.watch_client)),
        report_client_(std::move(parts.report_client)),
        health_(options_.health_check_command, options_.health_check_interval_ms,
                options_.health_check_timeout_ms),
        exits_([this] { Nudge(); }) {
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
    fencer_ = std::thread([this] { FenceLoop(); });  // apart: the others may block on HTTP
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
    if (fencer_.joinable()) fencer_.join();
    health_.Stop();
    monitor_->Stop();
    RemoveCgroupParent();
  }

 private:
  // The agent's cgroup folder, above its jobs' groups, goes when no group is left below it
  // (jobs outlive the agent; a later agent on the same data folder makes it again).
  void RemoveCgroupParent();
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
  NodeStatusReport CurrentNodeStatus() const;
  // Watches the supervisors of the attempts still running, so that an end is reported at once.
  void WatchExits(const std::vector<AttemptStatus>& statuses);
  // Fencing: after losing the server for longer than it waits before declaring this node lost
  // (minus a margin), the agent kills its attempts itself, so that a job the server moves
  // elsewhere never runs twice at once. Their ends are reported as lost when the server is back.
  void MarkContact();
  void FenceLoop();
  void FenceIfCutOff();
  bool Fenced(const AttemptKey& key);
  // Starts one attempt as its tenant's user (or records why it could not start).
  void StartAttempt(const DesiredAttempt& a);

  const AgentOptions options_;
  const Registration registration_;
  const HostEnv host_env_;
  const NodeIsolation isolation_;
  std::unique_ptr<GpuMonitor> monitor_;  // safe for concurrent use
  std::unique_ptr<JobUsers> users_;
  std::unique_ptr<ProcessRunner> runner_;
  std::unique_ptr<ServerClient> watch_client_;
  std::unique_ptr<ServerClient> report_client_;
  HealthCheck health_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;        // guarded by mu_
  bool nudged_ = false;          // guarded by mu_
  bool registered_ = false;      // guarded by mu_
  int64_t heartbeat_ms_ = 2000;  // guarded by mu_
  int64_t node_grace_ms_ = 0;    // guarded by mu_; 0: the server did not say (no fencing)
  std::mutex register_mu_;       // one registration at a time

  std::atomic<bool> watcher_done_{false};
  std::atomic<bool> reporter_done_{false};
  std::thread watcher_;
  std::thread reporter_;
  std::thread fencer_;

  std::set<AttemptKey> started_;             // watcher thread only (set before it starts)
  LogShipper shipper_;                       // reporter thread only
  std::vector<AttemptReport> last_reports_;  // reporter thread only
  NodeStatusReport last_status_;             // reporter thread only
  uint64_t reported_health_ = 0;             // reporter thread only: health_version() sent
  SteadyClock::time_point last_report_at_;   // reporter thread only
  std::map<AttemptKey, pid_t> supervisors_;  // reporter thread only: of running attempts
  std::set<AttemptKey> fenced_;              // guarded by mu_: killed while cut off
  // Steady ms of the last report the server answered (what its last-seen time follows).
  std::atomic<int64_t> last_contact_ms_{0};
  ExitWatcher exits_;                        // last: its thread calls Nudge()
};

}  // namespace fastgpu::agent
