// The agent's two loops (see agent_impl.h): the watcher and the reporter.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "agent/agent_impl.h"
#include "agent/cgroup/cgroup.h"
#include "agent/runner/attempt_files.h"

namespace fastgpu::agent {
namespace {

// Whether both of an attempt's output streams are empty and were never rotated (log_files.h).
bool WroteNoOutput(const std::string& dir) {
  for (const char* stream : {"/stdout.log", "/stderr.log"}) {
    struct stat st;
    if (::stat((dir + stream).c_str(), &st) == 0 && st.st_size > 0) return false;
    if (::access((dir + stream + ".1").c_str(), F_OK) == 0) return false;
  }
  return true;
}

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kReportTick{200};
constexpr milliseconds kFenceTick{100};
constexpr milliseconds kMinBackoff{200};
constexpr milliseconds kMaxBackoff{5000};

milliseconds NextBackoff(milliseconds b) { return std::min(b * 2, kMaxBackoff); }

}  // namespace

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
    registration.status = CurrentNodeStatus();  // never schedulable under another status
    Result<ServerClient::RegisterReply> hb = client.Register(registration);
    if (hb.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        registered_ = true;
        heartbeat_ms_ = hb->heartbeat_ms;
        node_grace_ms_ = hb->node_grace_ms;
      }
      MarkContact();
      spdlog::info("registered node '{}' with {} ({} GPUs{}), heartbeat {} ms", registration_.name,
                   options_.server_url, registration_.devices.size(),
                   registration_.simulated ? ", simulated" : "", hb->heartbeat_ms);
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
  for (const DesiredAttempt& a : plan.start) StartAttempt(a);
  for (const AttemptKey& key : plan.stop) {
    spdlog::info("stopping attempt {} (no longer desired)", key.ToString());
    Status st = runner_->Signal(key, SIGTERM);
    if (!st.ok()) spdlog::warn("stop attempt {}: {}", key.ToString(), st.ToString());
  }
  if (!plan.start.empty() || !plan.stop.empty()) Nudge();
}

void AgentImpl::StartAttempt(const DesiredAttempt& a) {
  started_.insert(a.key);
  Result<JobIdentity> who = users_->For(a.tenant);
  Status st = who.ok() ? runner_->Start(a.key, BuildLaunchSpec(a, host_env_, *who))
                       : runner_->Fail(a.key, "no user for tenant '" + a.tenant +
                                                  "': " + who.error().message());
  if (st.ok() && who.ok()) {
    spdlog::info("started attempt {} ({}) as uid {}", a.key.ToString(),
                 a.argv.empty() ? "" : a.argv[0], who->uid >= 0 ? who->uid : int64_t{::getuid()});
  } else if (st.code() == StatusCode::kAlreadyExists) {
    spdlog::info("attempt {} was started before; not starting it again", a.key.ToString());
  } else {
    spdlog::error("attempt {}: {}", a.key.ToString(), st.ok() ? who.error().ToString() : st.ToString());
  }
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

void AgentImpl::FenceLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, kFenceTick, [this] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    FenceIfCutOff();
    lock.lock();
  }
}

bool AgentImpl::Fenced(const AttemptKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return fenced_.contains(key);
}

void AgentImpl::MarkContact() {
  last_contact_ms_ = std::chrono::duration_cast<milliseconds>(
                         SteadyClock::now().time_since_epoch())
                         .count();
}

void AgentImpl::FenceIfCutOff() {
  int64_t grace = 0, heartbeat = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    grace = node_grace_ms_;
    heartbeat = heartbeat_ms_;
  }
  const int64_t last = last_contact_ms_.load();
  if (grace <= 0 || last == 0) return;
  // Two heartbeats before the server gives up on us: by then our attempts must be gone.
  const int64_t fence_after = std::max(heartbeat, grace - 2 * heartbeat);
  const int64_t now =
      std::chrono::duration_cast<milliseconds>(SteadyClock::now().time_since_epoch()).count();
  if (now - last < fence_after) return;
  for (const AttemptStatus& s : runner_->Poll()) {
    if (s.phase == AttemptPhase::kExited || Fenced(s.key)) continue;
    spdlog::warn("attempt {}: no answer from the server for {} ms; killing it (fenced) so that "
                 "it cannot run twice when the server moves it",
                 s.key.ToString(), now - last);
    if (runner_->Signal(s.key, SIGKILL).ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      fenced_.insert(s.key);
    }
  }
}

void AgentImpl::WatchExits(const std::vector<AttemptStatus>& statuses) {
  std::map<AttemptKey, pid_t> running;
  for (const AttemptStatus& s : statuses) {
    if (s.phase == AttemptPhase::kExited) continue;
    auto known = supervisors_.find(s.key);
    if (known != supervisors_.end()) {
      running.emplace(s.key, known->second);
      continue;
    }
    std::ifstream in(s.dir + "/" + kSupervisorPidFile);
    pid_t pid = 0;
    if (in >> pid && pid > 0) running.emplace(s.key, pid);
  }
  if (running == supervisors_) return;
  supervisors_ = std::move(running);
  std::vector<pid_t> pids;
  for (const auto& [key, pid] : supervisors_) pids.push_back(pid);
  exits_.Watch(pids);
}

bool AgentImpl::ReportOnce() {
  std::vector<AttemptStatus> statuses;
  std::vector<MonitoredJob> watched;
  std::vector<AttemptStatus> all = runner_->Poll();
  WatchExits(all);
  for (AttemptStatus& s : all) {
    watched.push_back(MonitoredJob{s.key, s.pid, s.dir + "/job/vgpu.shm"});
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
    AttemptReport report = ToReport(s);
    report.lost = report.exited && Fenced(s.key);
    reports.push_back(std::move(report));
  }
  return SendReport(std::move(reports), /*force=*/false);
}

bool AgentImpl::HasUnannounced(const std::vector<AttemptStatus>& statuses) const {
  for (const AttemptStatus& s : statuses) {
    // An attempt that ended without output has nothing anyone could read early: its end report
    // alone tells the server it ran (one round trip and one commit less per short job).
    if (s.phase == AttemptPhase::kExited && WroteNoOutput(s.dir)) continue;
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
    r.timed_out = s.exit.timed_out;
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
  NodeStatusReport status = CurrentNodeStatus();
  const uint64_t health = monitor_->health_version();
  const bool health_changed = health != reported_health_;
  if (!force && reports == last_reports_ && status == last_status_ && fresh && !health_changed) {
    return true;
  }
  // Telemetry rides on heartbeats and on health changes, not on every attempt change.
  std::optional<core::NodeTelemetry> telemetry;
  if (!fresh || health_changed) telemetry = monitor_->Snapshot();
  Result<std::vector<AttemptKey>> acked = report_client_->Report(
      registration_.name, reports, telemetry ? &*telemetry : nullptr, &status);
  if (!acked.ok()) {
    if (acked.error().code() == StatusCode::kNotFound) MarkUnregistered();
    spdlog::warn("report: {}", acked.error().ToString());
    return false;
  }
  MarkContact();
  last_reports_ = std::move(reports);
  last_status_ = std::move(status);
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

void AgentImpl::RemoveCgroupParent() {
  if (host_env_.attempts_dir.empty()) return;
  auto hierarchy = cgroup::Detect();
  if (!hierarchy.ok()) return;
  const std::string parent = AgentCgroupParent(host_env_.attempts_dir);
  cgroup::Remove(cgroup::Existing(*hierarchy, parent)).IgnoreError();  // fails while not empty
}

NodeStatusReport AgentImpl::CurrentNodeStatus() const {
  NodeStatusReport s;
  NodeHealth h = health_.Current();
  s.healthy = h.healthy;
  s.health_message = h.message;
  s.isolation = isolation_.AsMap();
  s.isolates_tenants = isolation_.isolates_tenants;
  s.warnings = isolation_.warnings;
  return s;
}


}  // namespace fastgpu::agent
